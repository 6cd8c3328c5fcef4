import type { KnownActor } from './actor.js'
import type { DurationString } from './duration.js'
import { KeywardError } from './errors.js'
import type { RejectionReason } from './keyward-stats.js'
import type { Logger, TokenRecord } from './keyward-types.js'
import { Signal } from './signal.js'

/**
 * Typed events: what happened to tokens, sessions and users, told to the app's listeners after the
 * store committed it. Listeners run synchronously, in registration order; one that throws or
 * rejects is logged and counted, never breaking the call that emitted the event or the next
 * listener. Nothing here runs on the request path: a cache hit emits nothing and checks nothing.
 */

/** Where a leak report came from, as the reporter told it (GitHub's match: `type`, `url`, `source`). */
export type LeakReport = {
  readonly reporter: string
  readonly type: string | null
  readonly url: string | null
  readonly source: string | null
}

/** Each event's own fields; every event also carries `type` and `at` (see `KeywardEvent`). */
export type KeywardEventMap = {
  'token.created': { readonly token: TokenRecord; readonly actor: KnownActor }
  /** A rename or a new description: `changes` names the fields that were given. */
  'token.updated': {
    readonly token: TokenRecord
    readonly changes: ReadonlyArray<'name' | 'description'>
    readonly actor: KnownActor
  }
  /** Only when this call revoked the token (not for one revoked before). */
  'token.revoked': { readonly token: TokenRecord; readonly reason: string | null; readonly actor: KnownActor }
  /** `token` is the successor; `previous` the rotated token (revoked, or in its grace period). */
  'token.rotated': { readonly token: TokenRecord; readonly previous: TokenRecord; readonly actor: KnownActor }
  /**
   * A stored token found expired when someone presented it (a cache miss), at most once per token
   * per process. Not audited: each process notices on its own.
   */
  'token.expired': { readonly token: TokenRecord }
  /**
   * A real token reported as leaked (its secret verified): `revokedNow` false when it was revoked
   * before (the secret is public all the same: tell its owner).
   */
  'token.leaked': {
    readonly token: TokenRecord
    readonly revokedNow: boolean
    readonly report: LeakReport
    readonly actor: KnownActor
  }
  /** From `tokens.warnExpiring()`: once per token and window, across processes and restarts. */
  'token.expiring': {
    readonly token: TokenRecord
    readonly window: DurationString
    readonly actor: KnownActor
  }
  'session.bumped': { readonly userId: string; readonly version: number; readonly actor: KnownActor }
  /** `users.revokeAll()`: after the `token.revoked` of each token and the `session.bumped`. */
  'user.cut-off': {
    readonly userId: string
    readonly tokenIds: readonly string[]
    readonly sessionVersion: number
    readonly actor: KnownActor
  }
  /**
   * Requests refused in (`since`, `until`], by reason, from the rejection counters: one event per
   * interval with any refusal, never one per request.
   */
  'auth.failures': {
    readonly since: Date
    readonly until: Date
    readonly counts: Readonly<Partial<Record<RejectionReason, number>>>
    readonly total: number
  }
}

export type KeywardEventType = keyof KeywardEventMap

export type KeywardEvent<T extends KeywardEventType = KeywardEventType> = {
  [K in T]: { readonly type: K; readonly at: Date } & KeywardEventMap[K]
}[T]

/** May return a promise: its rejection is reported as a throw is; Keyward does not wait for it. */
export type KeywardEventListener<T extends KeywardEventType> = (event: KeywardEvent<T>) => unknown

export type KeywardEvents = {
  /** Calls `listener` with every event of `type` from now on; returns the function that stops it. */
  on<T extends KeywardEventType>(type: T, listener: KeywardEventListener<T>): () => void
}

export const EVENT_TYPES: readonly KeywardEventType[] = [
  'token.created',
  'token.updated',
  'token.revoked',
  'token.rotated',
  'token.expired',
  'token.leaked',
  'token.expiring',
  'session.bumped',
  'user.cut-off',
  'auth.failures',
]
const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES)

export type EventStats = { emitted: number; listenerErrors: number }

/** A listener's failure as the log shows it: the error's name and first line, cut short. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return typeof error
  const line = error.message.split('\n')[0] ?? ''
  return `${error.name}: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  )
}

type AnyListener = (event: KeywardEvent) => unknown
/** One subscription: the same function subscribed twice is two, each with its own unsubscribe. */
type Subscription = { readonly listener: AnyListener }

/** The listeners of one instance: `events` is its public face, `emit` what its parts call. */
export function createEventHub(context: { logger: Logger }) {
  const listeners = new Map<KeywardEventType, Subscription[]>()
  const stats: EventStats = { emitted: 0, listenerErrors: 0 }
  /** The number of listeners of a type changed (to start or stop what only listeners need). */
  const listenersChanged = new Signal<[type: KeywardEventType, count: number]>()
  const failed = (type: KeywardEventType, error: unknown) => {
    stats.listenerErrors++
    context.logger.warn(`a listener of ${type} failed (${describeFailure(error)})`)
  }

  const events: KeywardEvents = {
    on(type, listener) {
      if (typeof type !== 'string' || !KNOWN.has(type)) {
        throw new KeywardError(
          'invalid_argument',
          `events.on(): unknown event type ${JSON.stringify(type)} (known: ${EVENT_TYPES.join(', ')}).`,
        )
      }
      if (typeof listener !== 'function') {
        throw new KeywardError('invalid_argument', 'events.on(): the listener must be a function.')
      }
      const list = listeners.get(type) ?? []
      const added: Subscription = { listener: listener as unknown as AnyListener }
      // A new array each time: an emit in progress goes on with the list it started with.
      listeners.set(type, [...list, added])
      listenersChanged.emit(type, list.length + 1)
      let subscribed = true
      return () => {
        if (!subscribed) return
        subscribed = false
        const rest = (listeners.get(type) ?? []).filter((one) => one !== added)
        listeners.set(type, rest)
        listenersChanged.emit(type, rest.length)
      }
    },
  }

  return {
    events,
    stats,
    listenersChanged,
    /** Whether anyone listens to `type`: to skip building an event no one would receive. */
    has(type: KeywardEventType): boolean {
      return (listeners.get(type)?.length ?? 0) > 0
    },
    /** Calls each listener of the event's type in turn; none can stop the others or the caller. */
    emit(event: KeywardEvent): void {
      stats.emitted++
      const type = event.type
      for (const { listener } of listeners.get(type) ?? []) {
        try {
          const result = listener(event)
          if (isThenable(result)) result.then(undefined, (error: unknown) => failed(type, error))
        } catch (error) {
          failed(type, error)
        }
      }
    },
  }
}

export type EventHub = ReturnType<typeof createEventHub>

/** An event as emitted: frozen, with its type and time. */
export function eventOf<T extends KeywardEventType>(
  type: T,
  at: number,
  fields: KeywardEventMap[T],
): KeywardEvent<T> {
  return Object.freeze({ type, at: new Date(at), ...fields }) as unknown as KeywardEvent<T>
}

type Announcer = { announce(events: readonly KeywardEvent[]): Promise<void>; now(): number }

// On `globalThis` under a registered symbol, as the registry of open instances (instances.ts): a
// helper from another copy of the core in the process (an adapter's own copy, a linked package)
// must find the announcer of an instance this copy created, or its events are silently lost.
const SLOT = Symbol.for('keyward.announcers')

function announcers(): WeakMap<object, Announcer> {
  const holder = globalThis as { [SLOT]?: WeakMap<object, Announcer> }
  holder[SLOT] ??= new WeakMap()
  return holder[SLOT]
}

/**
 * How a helper outside the instance, given only the instance (`revokeLeakedToken(kw, …)`),
 * announces an event through it: the audit log, then the listeners, stamped by its clock.
 */
export function registerAnnouncer(instance: object, announcer: Announcer): void {
  announcers().set(instance, announcer)
}

/**
 * Announces through the instance's own `announce`, found on it or on what it derives from (a view
 * such as the CLI's `Object.create(kw)`); nothing for an instance not registered.
 */
export async function announceThrough(
  instance: object,
  events: (now: number) => readonly KeywardEvent[],
): Promise<void> {
  let announcer: Announcer | undefined
  for (let at: object | null = instance; announcer === undefined && at !== null; ) {
    announcer = announcers().get(at)
    at = Object.getPrototypeOf(at) as object | null
  }
  if (announcer !== undefined) await announcer.announce(events(announcer.now()))
}
