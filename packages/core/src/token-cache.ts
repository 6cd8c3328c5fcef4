import type { Clock } from './clock.js'
import { hashFingerprint } from './digests.js'
import { DroppedUses } from './dropped-uses.js'
import type { Principal } from './principal.js'
import { type CachedSuccess, detached, PrincipalPool } from './principal-pool.js'

export { digestEquals, hashFingerprint } from './digests.js'

/** What `get` and `set` answer when there is no entry. */
export const NO_ENTRY = -1

/** What a refresh is about: the entry as it was when the refresh began (see `renew`). */
export type RefreshDue = {
  readonly id: string
  readonly digest: string
  /** `hashFingerprint` of the stored hash the token's secret verified against here, if it did here. */
  readonly verified: number | null
  readonly slot: number
  readonly slotVersion: number
}

/** The last part of its TTL in which a hit starts renewing the entry. */
const REFRESH_AHEAD_SHARE = 0.2
/** Numbers per slot in `#times`: valid until, use due at, refresh at, hash fingerprint (NaN: none). */
const TIMES = 4
const INITIAL_SLOTS = 64

export type SetOptions = {
  /** Caps the entry further than the TTL and token expiry (a shared entry's end, say). */
  limit?: number
  /** The stored hash the secret verified against here, kept as a fingerprint for refreshes. */
  verifiedHash?: string | null
}

export type TokenCacheOptions = {
  max: number
  ttl: number
  clock: Clock
  /** A token's use is due for recording at most once per this many ms (last-used bookkeeping). */
  useWindow: number
  /** Whether entries ask for a renewal in the last fifth of their TTL (see `takeRefresh`). */
  refreshAhead: boolean
}

export type TokenCacheStats = {
  /** Live entries dropped to make room (expired ones are not counted). */
  evictions: number
  /** Of those, entries evicted with more than half of their TTL still ahead: a sign of a small `max`. */
  earlyEvictions: number
}

/**
 * The in-process level: the digest of a verified token → its cached success, held only as long as
 * the configured TTL and never past the token's expiry, with an index by token id for invalidation.
 * Eviction is second-chance (CLOCK), which keeps recently read entries about as well as an LRU does.
 *
 * It only stores and answers. An entry is a slot number, its fields live in arrays (a few bytes each
 * instead of an object and boxed numbers): a hit costs one Map lookup and a byte write, and the
 * owner reads `useDueAt` and `refreshAt` of the slot to decide what to start (`markUsed`,
 * `takeRefresh`).
 *
 * "A use at most once per window" lives here: in each slot's `useDueAt`, and for an entry dropped
 * before its use was due again, in `DroppedUses`. Invalidating an id (`delete`) forgets its note.
 *
 * Looking the digest up is as safe as comparing it in constant time: the Map's string compare may
 * stop at the first differing byte, but all it could tell is how far the SHA-256 of a guess agrees
 * with a cached one, and steering a digest byte by byte needs a preimage.
 */
export class TokenCache {
  readonly #slotByDigest = new Map<string, number>()
  readonly #slotById = new Map<string, number>()
  readonly #droppedUses: DroppedUses
  readonly #pool = new PrincipalPool()
  readonly #results: Array<CachedSuccess | null> = []
  readonly #ids: string[] = []
  readonly #digests: string[] = []
  #times = new Float64Array(INITIAL_SLOTS * TIMES)
  /** Per slot: read since the eviction hand last passed it (second-chance eviction). */
  #referenced = new Uint8Array(INITIAL_SLOTS)
  /** Per slot: bumped by every insertion, so that a refresh knows its entry from a later one. */
  #slotVersions = new Uint32Array(INITIAL_SLOTS)
  readonly #freeSlots: number[] = []
  readonly #max: number
  readonly #ttl: number
  readonly #clock: Clock
  readonly #useWindow: number
  readonly #refreshAhead: boolean
  readonly stats: TokenCacheStats = { evictions: 0, earlyEvictions: 0 }

  constructor(options: TokenCacheOptions) {
    this.#max = Math.max(1, options.max)
    this.#droppedUses = new DroppedUses(this.#max)
    this.#ttl = options.ttl
    this.#clock = options.clock
    this.#useWindow = options.useWindow
    this.#refreshAhead = options.refreshAhead
  }

  /** The slot of the live entry for this digest, or `NO_ENTRY` (absent or expired). */
  get(digest: string, now: number): number {
    const slot = this.#slotByDigest.get(digest)
    if (slot === undefined) return NO_ENTRY
    if (now >= (this.#times[slot * TIMES] as number)) {
      this.#drop(slot, now)
      return NO_ENTRY
    }
    this.#referenced[slot] = 1
    return slot
  }

  /** What a hit answers: a frozen `{ ok: true, principal }`, the same object on every hit. */
  result(slot: number): CachedSuccess {
    return this.#results[slot] as CachedSuccess
  }

  id(slot: number): string {
    return this.#ids[slot] as string
  }

  /** A hit at or past this time is a use to record (then `markUsed`). */
  useDueAt(slot: number): number {
    return this.#times[slot * TIMES + 1] as number
  }

  /** A hit at or past this time should renew the entry (then `takeRefresh`). */
  refreshAt(slot: number): number {
    return this.#times[slot * TIMES + 2] as number
  }

  /** The owner recorded a use of this slot's token now: the next one is due a window later. */
  markUsed(slot: number, now: number): void {
    this.#times[slot * TIMES + 1] = now + this.#useWindow
  }

  /** The owner starts renewing this entry: it asks no more. Returns what `renew` will need. */
  takeRefresh(slot: number): RefreshDue {
    this.#times[slot * TIMES + 2] = Number.POSITIVE_INFINITY
    const fingerprint = this.#times[slot * TIMES + 3] as number
    return {
      id: this.#ids[slot] as string,
      digest: this.#digests[slot] as string,
      verified: Number.isNaN(fingerprint) ? null : fingerprint,
      slot,
      slotVersion: this.#slotVersions[slot] as number,
    }
  }

  /**
   * Caches a verified principal; a token that expires within the window is cached only until then.
   * Returns its slot (`NO_ENTRY` when nothing is cached), whose `useDueAt` says whether the use that
   * led here is one to record: it is, unless an earlier use of the token was, within the window.
   */
  set(id: string, digest: string, principal: Principal, options: SetOptions = {}): number {
    const now = this.#clock.now()
    const previous = this.#slotById.get(id)
    const useDueAt = previous === undefined ? (this.#droppedUses.dueAt(id) ?? now) : this.useDueAt(previous)
    const verifiedHash = options.verifiedHash ?? null
    const fingerprint = verifiedHash === null ? Number.NaN : hashFingerprint(verifiedHash)
    return this.#insert(id, digest, principal, options.limit, useDueAt, fingerprint)
  }

  /**
   * Starts a new TTL for the entry a refresh began from, with what was read again, if that very entry
   * is still cached and alive: not dropped, evicted, expired or replaced (by a miss that read newer
   * data, say) meanwhile. Keeps its use due time and hash fingerprint. Returns whether it did.
   */
  renew(due: RefreshDue, principal: Principal, options: Pick<SetOptions, 'limit'> = {}): boolean {
    const slot = this.#slotByDigest.get(due.digest)
    if (slot !== due.slot || this.#slotVersions[slot] !== due.slotVersion) return false
    if ((this.#times[slot * TIMES] as number) <= this.#clock.now()) return false
    const useDueAt = this.useDueAt(slot)
    const fingerprint = this.#times[slot * TIMES + 3] as number
    return this.#insert(due.id, due.digest, principal, options.limit, useDueAt, fingerprint) !== NO_ENTRY
  }

  #insert(
    id: string,
    digest: string,
    principal: Principal,
    limit: number | undefined,
    useDueAt: number,
    fingerprint: number,
  ): number {
    if (this.#ttl <= 0) return NO_ENTRY
    const now = this.#clock.now()
    const byTtl = now + this.#ttl
    const expiresAt = principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
    const validUntil = Math.min(byTtl, expiresAt, limit ?? Number.POSITIVE_INFINITY)
    if (validUntil <= now) return NO_ENTRY
    // Room is made before the insertion, so that the eviction hand can never pick the new entry.
    const replaced = this.#slotById.get(id)
    const ownId = replaced === undefined ? detached(id) : this.id(replaced)
    if (replaced !== undefined) this.#unlink(replaced)
    const sameDigest = this.#slotByDigest.get(digest)
    if (sameDigest !== undefined) this.#unlink(sameDigest)
    if (replaced === undefined && sameDigest === undefined && this.#slotByDigest.size >= this.#max) {
      this.#evictOne(now)
    }
    this.#droppedUses.forget(id)
    const slot = this.#freeSlots.pop() ?? this.#newSlot()
    this.#results[slot] = this.#pool.success(ownId, principal)
    this.#ids[slot] = ownId
    this.#digests[slot] = digest
    const at = slot * TIMES
    this.#times[at] = validUntil
    this.#times[at + 1] = useDueAt
    this.#times[at + 2] =
      this.#refreshAhead && validUntil === byTtl
        ? validUntil - this.#ttl * REFRESH_AHEAD_SHARE
        : Number.POSITIVE_INFINITY
    this.#times[at + 3] = fingerprint
    this.#referenced[slot] = 0
    this.#slotVersions[slot] = ((this.#slotVersions[slot] as number) + 1) >>> 0
    this.#slotByDigest.set(digest, slot)
    this.#slotById.set(ownId, slot)
    return slot
  }

  #newSlot(): number {
    const slot = this.#results.length
    this.#results.push(null)
    this.#ids.push('')
    this.#digests.push('')
    if (slot >= this.#referenced.length) {
      const slots = Math.min(this.#referenced.length * 2, Math.max(this.#max, slot + 1))
      const times = new Float64Array(slots * TIMES)
      times.set(this.#times)
      this.#times = times
      const referenced = new Uint8Array(slots)
      referenced.set(this.#referenced)
      this.#referenced = referenced
      const slotVersions = new Uint32Array(slots)
      slotVersions.set(this.#slotVersions)
      this.#slotVersions = slotVersions
    }
    return slot
  }

  // The hand starts at the oldest insertion: an expired entry goes at once, a referenced one loses its
  // mark and moves to the back, the first unreferenced one is evicted. Each pass clears marks, so
  // this ends within two sweeps, and costs O(1) amortised over the insertions that caused it.
  #evictOne(now: number): void {
    for (const [digest, slot] of this.#slotByDigest) {
      const validUntil = this.#times[slot * TIMES] as number
      if (now >= validUntil) {
        this.#drop(slot, now)
        return
      }
      if (this.#referenced[slot] === 0) {
        this.stats.evictions++
        if (validUntil - now > this.#ttl / 2) this.stats.earlyEvictions++
        this.#drop(slot, now)
        return
      }
      this.#referenced[slot] = 0
      this.#slotByDigest.delete(digest)
      this.#slotByDigest.set(digest, slot)
    }
  }

  /** Removes an entry that ends or is pushed out, noting its use due time if still ahead. */
  #drop(slot: number, now: number): void {
    const id = this.id(slot)
    const useDueAt = this.useDueAt(slot)
    this.#unlink(slot)
    this.#droppedUses.note(id, useDueAt, now)
  }

  #unlink(slot: number): void {
    this.#slotByDigest.delete(this.#digests[slot] as string)
    this.#slotById.delete(this.#ids[slot] as string)
    this.#results[slot] = null
    this.#ids[slot] = ''
    this.#digests[slot] = ''
    this.#freeSlots.push(slot)
  }

  /** Drops the entry of this token id (invalidated: its next use counts); true when there was one. */
  delete(id: string): boolean {
    this.#droppedUses.forget(id)
    const slot = this.#slotById.get(id)
    if (slot === undefined) return false
    this.#unlink(slot)
    return true
  }

  /** Drops every entry (nothing cached is trusted any more), keeping when their uses fall due. */
  clear(): void {
    const now = this.#clock.now()
    for (const slot of this.#slotById.values()) this.#drop(slot, now)
  }

  get size(): number {
    return this.#slotByDigest.size
  }
}
