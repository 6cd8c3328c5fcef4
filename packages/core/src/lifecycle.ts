/**
 * The life of one instance as its parts see it: whether it is closed, and the background work
 * (rehashes, shared fills, refreshes) that `flush()` and `close()` wait for.
 */
export class Lifecycle {
  closed = false
  readonly #background = new Set<Promise<unknown>>()

  /** Runs `work` in the background: its failure is its own to report; `settle()` waits for it. */
  runInBackground(work: Promise<unknown>): void {
    const settled = work.catch(() => {}).finally(() => this.#background.delete(settled))
    this.#background.add(settled)
  }

  /** Until no background work is left, including work started meanwhile. */
  async settle(): Promise<void> {
    while (this.#background.size > 0) await Promise.all(this.#background)
  }
}
