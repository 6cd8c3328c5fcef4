import type { Clock } from './clock.js'
import type { InvalidationMessage } from './shared-cache.js'

export type RedeliveryStats = { redelivered: number; undelivered: number; abandoned: number }

type Pending = { message: InvalidationMessage; deadline: number }

/**
 * Invalidations that other processes could not be told of at once, sent again with backoff until
 * delivered. Each is dropped at its deadline: by then every cache that could still hold what it
 * replaced has expired, so sending it would change nothing. Without this, a `revokeAll()` whose
 * message was lost could not be completed by calling it again: the retry finds nothing left to
 * revoke, so it tells no one.
 *
 * Attempts run on timers; only deadlines read the clock. A pass sends the pending messages in order
 * and stops at the first failure, so that an unreachable Redis costs one timeout a pass however
 * many messages wait.
 */
export class Redeliveries {
  readonly #pending = new Set<Pending>()
  readonly #clock: Clock
  readonly #send: (message: InvalidationMessage) => Promise<void>
  readonly #firstDelay: number
  readonly #maxDelay: number
  #delay: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #stopped = false
  #redelivered = 0
  #abandoned = 0

  constructor(options: {
    clock: Clock
    /** Resolves once every process can have been told; rejects otherwise. */
    send: (message: InvalidationMessage) => Promise<void>
    firstDelay?: number
    maxDelay?: number
  }) {
    this.#clock = options.clock
    this.#send = options.send
    this.#firstDelay = options.firstDelay ?? 100
    this.#maxDelay = options.maxDelay ?? 5000
    this.#delay = this.#firstDelay
  }

  /**
   * Sends `message` again until it is delivered or `deadline` (clock time) passes. After `stop()`
   * it is only counted in `undelivered`.
   */
  add(message: InvalidationMessage, deadline: number): void {
    if (deadline <= this.#clock.now()) return
    this.#pending.add({ message, deadline })
    this.#schedule()
  }

  #schedule(): void {
    if (this.#stopped || this.#running !== null || this.#timer !== null || this.#pending.size === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#running = this.#pass().finally(() => {
        this.#running = null
        this.#schedule()
      })
    }, this.#delay)
    this.#timer.unref()
  }

  async #pass(): Promise<void> {
    let failed = false
    for (const p of [...this.#pending]) {
      if (this.#stopped) return
      if (p.deadline <= this.#clock.now()) {
        this.#pending.delete(p)
        this.#abandoned++
        continue
      }
      if (failed) continue
      try {
        await this.#send(p.message)
        this.#pending.delete(p)
        this.#redelivered++
      } catch {
        failed = true
      }
    }
    this.#delay = failed ? Math.min(this.#delay * 2, this.#maxDelay) : this.#firstDelay
  }

  /** `undelivered`: those still pending (after `stop()`, those left). */
  get stats(): RedeliveryStats {
    return { redelivered: this.#redelivered, undelivered: this.#pending.size, abandoned: this.#abandoned }
  }

  /** No more attempts; waits for one under way. What is left stays in `stats.undelivered`. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running
  }
}
