import type { Clock } from './clock.js'
import type { InvalidationMessage } from './shared-cache.js'

export type RedeliveryStats = { redelivered: number; undelivered: number; abandoned: number }

type Pending = { message: InvalidationMessage; deadline: number; delay: number; dueAt: number }

/**
 * Invalidations that other processes could not be told of at once, sent again with backoff until
 * delivered. Each is dropped at its deadline: by then every cache that could still hold what it
 * replaced has expired, so sending it would change nothing. Without this, a `revokeAll()` whose
 * message was lost could not be completed by calling it again: the retry finds nothing left to
 * revoke, so it tells no one.
 */
export class Redeliveries {
  readonly #pending = new Set<Pending>()
  readonly #clock: Clock
  readonly #send: (message: InvalidationMessage) => Promise<void>
  readonly #firstDelay: number
  readonly #maxDelay: number
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #stopped = false
  readonly stats: RedeliveryStats = { redelivered: 0, undelivered: 0, abandoned: 0 }

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
  }

  /** Sends `message` again until it is delivered or `deadline` (clock time) passes. */
  add(message: InvalidationMessage, deadline: number): void {
    if (this.#stopped) return
    const now = this.#clock.now()
    if (deadline <= now) return
    this.#pending.add({ message, deadline, delay: this.#firstDelay, dueAt: now + this.#firstDelay })
    this.stats.undelivered = this.#pending.size
    this.#schedule()
  }

  #schedule(): void {
    if (this.#stopped || this.#running !== null || this.#pending.size === 0) return
    if (this.#timer !== null) clearTimeout(this.#timer)
    let next = Number.POSITIVE_INFINITY
    for (const p of this.#pending) next = Math.min(next, p.dueAt)
    this.#timer = setTimeout(
      () => {
        this.#timer = null
        this.#running = this.#attempt().finally(() => {
          this.#running = null
          this.#schedule()
        })
      },
      Math.max(0, next - this.#clock.now()),
    )
    this.#timer.unref()
  }

  async #attempt(): Promise<void> {
    for (const p of [...this.#pending]) {
      if (this.#stopped) break
      const now = this.#clock.now()
      if (p.deadline <= now) {
        this.#pending.delete(p)
        this.stats.abandoned++
        continue
      }
      if (p.dueAt > now) continue
      try {
        await this.#send(p.message)
        this.#pending.delete(p)
        this.stats.redelivered++
      } catch {
        p.delay = Math.min(p.delay * 2, this.#maxDelay)
        p.dueAt = this.#clock.now() + p.delay
      }
    }
    this.stats.undelivered = this.#pending.size
  }

  /** No more attempts; waits for one under way. What is left stays in `stats.undelivered`. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running
  }
}
