/** Ids remembered for fencing reads in flight against invalidations; past it, every read is fenced. */
export const MAX_FENCED_IDS = 10_000

/** What a read presents at the end: the fence's epoch (a count of invalidations) when the read (or its attempt) began. */
export type FenceTicket = number

/**
 * Fencing between a read in flight (a miss, a refresh) and an invalidation on this process: a read
 * that began before a revoke finished must not cache (or return) what it read. A read `enter()`s,
 * takes a `ticket()` per attempt, asks `isFenced(id, ticket)` before using what it read, and `leave()`s.
 */
export class InvalidationFence {
  #epoch = 0
  #readsInFlight = 0
  readonly #invalidatedAt = new Map<string, number>()
  #everythingInvalidatedAt = -1

  /** A read begins; returns the ticket of its first attempt. */
  enter(): FenceTicket {
    this.#readsInFlight++
    return this.#epoch
  }

  /** The ticket of an attempt starting now. */
  ticket(): FenceTicket {
    return this.#epoch
  }

  leave(): void {
    if (--this.#readsInFlight === 0) this.#invalidatedAt.clear()
  }

  /** Was `id` (or everything) invalidated after the attempt holding `ticket` began? */
  isFenced(id: string, ticket: FenceTicket): boolean {
    return (this.#invalidatedAt.get(id) ?? -1) > ticket || this.#everythingInvalidatedAt > ticket
  }

  invalidate(ids: readonly string[]): void {
    this.#epoch++
    if (this.#readsInFlight === 0) return
    for (const id of ids) {
      // Reads may overlap without end on a busy process, so the map is cleared only when none is in
      // flight; past this size, fencing every read in flight (they retry) is cheaper than growing.
      if (this.#invalidatedAt.size >= MAX_FENCED_IDS) {
        this.#invalidatedAt.clear()
        this.#everythingInvalidatedAt = this.#epoch
      } else {
        this.#invalidatedAt.set(id, this.#epoch)
      }
    }
  }

  /** Messages may have been missed: every read in flight is fenced. */
  invalidateEverything(): void {
    this.#epoch++
    this.#everythingInvalidatedAt = this.#epoch
  }
}
