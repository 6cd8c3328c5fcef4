import { KeywardError } from './errors.js'
import { requireText } from './input.js'
import { assertKnownKeys } from './option-checks.js'

/**
 * Who made a management call, as its events and the audit log carry it: a signed-in user, a token
 * (a PAT the routes let in with `patScope`), an administrator, the CLI, or Keyward itself (a leak
 * report). `address` and `userAgent` are the request's, where the call came through the routes.
 */
export type Actor = {
  readonly kind: ActorKind
  /** The user's, token's or admin's id; null when unknown. */
  readonly id?: string | null
  readonly address?: string | null
  readonly userAgent?: string | null
}

export type ActorKind = 'user' | 'token' | 'admin' | 'cli' | 'system'

/** An actor with every field present (null when unknown), as events carry it. */
export type KnownActor = {
  readonly kind: ActorKind
  readonly id: string | null
  readonly address: string | null
  readonly userAgent: string | null
}

const KINDS: ReadonlySet<string> = new Set(['user', 'token', 'admin', 'cli', 'system'])
const KEYS: ReadonlySet<string> = new Set(['kind', 'id', 'address', 'userAgent'])
/** An IPv6 address with a zone is at most 45 + zone characters; an app's own client id may be longer. */
export const MAX_ADDRESS = 100
export const MAX_USER_AGENT = 512

/** The actor of a call that names none: the app's own code, unattributed. */
export const DEFAULT_ACTOR: KnownActor = Object.freeze({
  kind: 'admin',
  id: null,
  address: null,
  userAgent: null,
})

function optionalText(value: unknown, what: string, max: number): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new KeywardError(
      'invalid_argument',
      `${what} must be a non-empty string of at most ${max} characters, or null.`,
    )
  }
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed() || value.includes('\u0000')) {
    throw new KeywardError('invalid_argument', `${what} must be well-formed text without NUL.`)
  }
  return value
}

/** `options.actor` of a management call, checked (undefined: `DEFAULT_ACTOR`), frozen and complete. */
export function requireActor(value: unknown): KnownActor {
  if (value === undefined) return DEFAULT_ACTOR
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeywardError('invalid_argument', 'actor must be an object such as { kind: "user", id }.')
  }
  assertKnownKeys(value, KEYS, (key) => `actor has no field ${JSON.stringify(key)}`, 'invalid_argument')
  const { kind, id, address, userAgent } = value as Record<string, unknown>
  if (typeof kind !== 'string' || !KINDS.has(kind)) {
    throw new KeywardError(
      'invalid_argument',
      `actor.kind must be one of ${[...KINDS].join(', ')}; got ${JSON.stringify(kind)}.`,
    )
  }
  return Object.freeze({
    kind: kind as ActorKind,
    id: id === undefined || id === null ? null : requireText(id, 'actor.id'),
    address: optionalText(address, 'actor.address', MAX_ADDRESS),
    userAgent: optionalText(userAgent, 'actor.userAgent', MAX_USER_AGENT),
  })
}

/**
 * A request header's value made fit for an actor (the routes' user agent): cut to `max`, with what
 * an actor refuses (NUL, lone surrogates) replaced; null when empty. A client's odd header must not
 * fail the call it came with.
 */
export function fitForActor(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value.length === 0) return null
  const fitted = (value.slice(0, max) as string & { toWellFormed(): string })
    .toWellFormed()
    .replaceAll('\u0000', '\uFFFD')
  return fitted
}
