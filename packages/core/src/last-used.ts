import type { KeywardStore } from './store.js'
import { withTimeout } from './timeout.js'

export type LastUsedStats = { statements: number; rows: number; pending: number; errors: number }

/** Rows per statement: far below every driver's parameter limit. */
const BATCH_SIZE = 500

/**
 * Writes `last_used_at` off the request path, batched into one statement per flush: a token used
 * again before the flush is written once, with its latest time. Which uses are worth recording (at
 * most one per window per token) is the token cache's call. A failed flush keeps its entries for the
 * next one, so nothing is lost.
 */
export class LastUsedRecorder {
  readonly #pending = new Map<string, number>()
  readonly #interval: number
  readonly #timeout: number
  readonly #store: () => Promise<KeywardStore>
  readonly #onError: (error: unknown) => void
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> | null = null
  #stopped = false
  readonly stats: LastUsedStats = { statements: 0, rows: 0, pending: 0, errors: 0 }

  constructor(options: {
    interval: number
    /** A write the store has not answered by then counts as failed (kept for the next flush). Default: none. */
    timeout?: number
    store: () => Promise<KeywardStore>
    onError: (error: unknown) => void
  }) {
    this.#interval = options.interval
    this.#timeout = options.timeout ?? 0
    this.#store = options.store
    this.#onError = options.onError
  }

  /** Records a use, written with the next flush. */
  record(id: string, at: number): void {
    if (this.#stopped) return
    this.#pending.set(id, at)
    this.stats.pending = this.#pending.size
    this.#schedule()
  }

  /** Writes everything pending now; resolves when it is written (or kept for retry on failure). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#pending.size === 0) return
    this.#flushing = this.#write().finally(() => {
      this.#flushing = null
    })
    await this.#flushing
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== null || this.#pending.size === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      void this.flush()
    }, this.#interval)
    this.#timer.unref()
  }

  async #write(): Promise<void> {
    const uses = [...this.#pending].map(([id, at]) => ({ id, at }))
    this.#pending.clear()
    let written = 0
    try {
      const store = await this.#store()
      for (; written < uses.length; written += BATCH_SIZE) {
        // A connection gone silent must not hold a flush (and so close()) for ever.
        this.stats.rows += await withTimeout(
          store.touchTokens(uses.slice(written, written + BATCH_SIZE)),
          this.#timeout,
        )
        this.stats.statements++
      }
    } catch (error) {
      this.stats.errors++
      for (const { id, at } of uses.slice(written)) {
        if ((this.#pending.get(id) ?? 0) < at) this.#pending.set(id, at)
      }
      this.#onError(error)
      this.#schedule()
    } finally {
      this.stats.pending = this.#pending.size
    }
  }

  /** No more recording or timers; what is still pending stays in `stats.pending`. */
  stop(): void {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }
}
