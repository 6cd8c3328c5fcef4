/**
 * When the next use of a token is due, for tokens whose cache entry was dropped (evicted, or ended
 * early) before that time: so that a token refilled soon after does not count a use early. Bounded by
 * `max` notes; they are added in about the order they fall due, so the spent ones are at the front.
 */
export class DroppedUses {
  readonly #dueAt = new Map<string, number>()
  readonly #max: number

  constructor(max: number) {
    this.#max = max
  }

  /** Notes when the next use of `id` is due, if that is still ahead. */
  note(id: string, dueAt: number, now: number): void {
    for (const [noted, due] of this.#dueAt) {
      if (due > now) break
      this.#dueAt.delete(noted)
    }
    if (dueAt <= now) return
    if (this.#dueAt.size >= this.#max) {
      for (const oldest of this.#dueAt.keys()) {
        this.#dueAt.delete(oldest)
        break
      }
    }
    this.#dueAt.set(id, dueAt)
  }

  /** When the next use of `id` is due, if noted; the note stays until `forget` or it is spent. */
  dueAt(id: string): number | undefined {
    return this.#dueAt.get(id)
  }

  forget(id: string): void {
    this.#dueAt.delete(id)
  }
}
