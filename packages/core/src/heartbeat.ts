import { randomBytes } from 'node:crypto'
import type { Clock } from './clock.js'
import { type Duration, toMilliseconds } from './duration.js'
import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'
import type { InvalidationBus } from './shared-cache.js'
import { RateLimitedWarning } from './warnings.js'

/**
 * A listening connection that dies silently (a NAT or load balancer that dropped its state: no FIN,
 * no RST) delivers nothing and reports nothing. So each process sends a small heartbeat on its own
 * channel every `interval` and expects it back within `timeout`; when it does not come back the
 * channel is declared down (`down`), and `up` is called when one comes back again.
 */

export type HeartbeatOptions = {
  /** How often each process sends one. Default `'15s'`. */
  interval?: Duration
  /** How long one may take to come back before the channel is declared down. Default `'10s'`. */
  timeout?: Duration
}

const HEARTBEAT_OPTIONS = new Set(['interval', 'timeout'])

/** `heartbeat` as validated: null when turned off. */
export function heartbeatSettings(
  value: HeartbeatOptions | false | undefined,
): { interval: number; timeout: number } | null {
  if (value === false) return null
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new KeywardError('invalid_option', 'heartbeat must be { interval, timeout } or false.')
  }
  assertKnownKeys(value ?? {}, HEARTBEAT_OPTIONS, (key) => `Unknown heartbeat option ${JSON.stringify(key)}`)
  const interval = toMilliseconds(value?.interval ?? '15s', 'heartbeat.interval')
  const timeout = toMilliseconds(value?.timeout ?? '10s', 'heartbeat.timeout')
  if (interval <= 0 || timeout <= 0) {
    throw new KeywardError('invalid_option', 'heartbeat.interval and heartbeat.timeout must be positive.')
  }
  return { interval, timeout }
}

export type HeartbeatEvents = {
  /** Publishes one heartbeat carrying `beat`. */
  send(beat: string): Promise<void>
  /** A heartbeat did not come back in time (called again for each one that does not). */
  down(): void
  /** The first heartbeat back after `down`. */
  up(): void
}

/**
 * The heartbeat's decisions, read from `clock` at each `tick()`; `start()` ticks on an unref'd
 * timer. A heartbeat that could not be sent (the store is away) decides nothing: that outage is
 * reported where it happens.
 */
export class Heartbeat {
  readonly #stem = randomBytes(6).toString('base64url')
  #count = 0
  #pending: { beat: string; sentAt: number } | null = null
  #lastSent = Number.NEGATIVE_INFINITY
  #down = false
  #timer: NodeJS.Timeout | null = null

  constructor(
    private readonly clock: Clock,
    private readonly settings: { interval: number; timeout: number },
    private readonly events: HeartbeatEvents,
  ) {}

  /** True from a missed heartbeat until one comes back. */
  get isDown(): boolean {
    return this.#down
  }

  tick(): void {
    const now = this.clock.now()
    const pending = this.#pending
    if (pending !== null && now - pending.sentAt >= this.settings.timeout) {
      this.#pending = null
      this.#down = true
      // The next one waits a whole interval, for the reconnection `down` starts to be listening.
      this.#lastSent = now
      this.events.down()
    }
    if (this.#pending !== null || now - this.#lastSent < this.settings.interval) return
    const beat = `${this.#stem}.${(this.#count++).toString(36)}`
    this.#lastSent = now
    this.#pending = { beat, sentAt: now }
    this.events.send(beat).catch(() => {
      if (this.#pending?.beat === beat) this.#pending = null
    })
  }

  /** A heartbeat from the channel: this process's own ends the wait; another's is ignored. */
  received(beat: string): void {
    if (!beat.startsWith(`${this.#stem}.`)) return
    if (this.#pending?.beat === beat) this.#pending = null
    if (!this.#down) return
    this.#down = false
    this.events.up()
  }

  start(): void {
    if (this.#timer !== null) return
    const every = Math.max(10, Math.min(this.settings.interval, this.settings.timeout) / 4)
    this.#timer = setInterval(() => this.tick(), every)
    this.#timer.unref()
    this.tick()
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }
}

/**
 * The heartbeat of one bus as the engine runs it: down, it warns (rate-limited), calls `down` and
 * has the bus reconnect; back, it calls `up` and says so. Null for a bus that cannot reconnect.
 */
export function busHeartbeat(
  bus: InvalidationBus,
  settings: { interval: number; timeout: number } | null,
  context: { clock: Clock; logger: { warn(message: string): void }; unsubscribedTtl: number },
  hooks: { ready(): boolean; down(): void; up(): void },
): Heartbeat | null {
  if (settings === null || bus.reconnect === undefined) return null
  const warning = new RateLimitedWarning({
    logger: context.logger,
    clock: context.clock,
    subject: 'invalidation channel',
    interval: 60_000,
  })
  return new Heartbeat(context.clock, settings, {
    // Not before `ready` (the deployment key is known): a heartbeat must not be what opens the store.
    send: (beat) => (hooks.ready() ? bus.publish({ beat }) : Promise.reject(new Error('not ready'))),
    down: () => {
      warning.failure(
        `heartbeat: none came back within ${settings.timeout} ms, so revocations may not be arriving; reconnecting, and until it is back every cache entry here lives at most ${context.unsubscribedTtl} ms`,
      )
      hooks.down()
      bus.reconnect?.()
    },
    up: () => {
      hooks.up()
      warning.recovered()
    },
  })
}
