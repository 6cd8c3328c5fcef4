import { hash } from 'node:crypto'
import type { Clock } from './clock.js'
import type { Principal } from './principal.js'
import { type CachedSuccess, detached, PrincipalPool } from './principal-pool.js'

/**
 * Compares two digests (strings) in time that depends only on their length. (Hashing first already makes
 * an early-exit compare harmless; this keeps the promise of a constant-time comparison anyway,
 * without the Buffer allocations that would cost more than the hash.)
 */
export function digestEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

/**
 * Tells whether a stored hash is still the one a secret verified against, without holding the hash
 * (an argon2id string is about 100 characters): 96 bits of its SHA-256.
 */
export function hashFingerprint(storedHash: string): string {
  return hash('sha256', storedHash, 'binary').slice(0, 12)
}

/** What a refresh is about: the entry as it was when the refresh began (see `renew`). */
export type RefreshDue = {
  readonly id: string
  readonly digest: string
  /** `hashFingerprint` of the stored hash the token's secret verified against here, if it did here. */
  readonly verified: string | null
}

/**
 * One cached token. The cache only stores and answers; its owner reads `useDueAt` and `refreshAt` on
 * a hit and decides what to start (see `markUsed`, `takeRefresh`).
 */
export type CacheEntry = RefreshDue & {
  readonly result: CachedSuccess
  /** min(cached at + ttl, expires_at, limit): past it the entry is dead. */
  readonly validUntil: number
  /** A hit at or past this time is a use to record (once per use window, see `markUsed`). */
  readonly useDueAt: number
  /** A hit at or past this time should renew the entry (see `takeRefresh`); then never again. */
  readonly refreshAt: number
}

type Slot = {
  -readonly [K in keyof CacheEntry]: CacheEntry[K]
} & {
  /** Read since the eviction hand last passed it (second-chance eviction). */
  referenced: boolean
}

/** The last part of its TTL in which a hit starts renewing the entry. */
const REFRESH_AHEAD_SHARE = 0.2

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
 * A hit costs one Map lookup and a field write: no id to cut out of the header, no recency list to
 * reorder, no timers. Eviction is second-chance (CLOCK), which keeps recently read entries about as
 * well as an LRU does.
 *
 * "A use at most once per window" lives here: in each entry's `useDueAt`, and for an entry dropped
 * before its use was due again, in a note kept until then (so an evicted token refilled soon does not
 * count a use early). Invalidating an id (`delete`) forgets its note.
 *
 * Looking the digest up is as safe as comparing it in constant time: the Map's string compare may
 * stop at the first differing byte, but all it could tell is how far the SHA-256 of a guess agrees
 * with a cached one, and steering a digest byte by byte needs a preimage.
 */
export class TokenCache {
  readonly #byDigest = new Map<string, Slot>()
  readonly #byId = new Map<string, Slot>()
  /** Token id → when its next use is due, for entries dropped before it; oldest first. */
  readonly #useDueOfDropped = new Map<string, number>()
  readonly #pool = new PrincipalPool()
  readonly #max: number
  readonly #ttl: number
  readonly #clock: Clock
  readonly #useWindow: number
  readonly #refreshAhead: boolean
  readonly stats: TokenCacheStats = { evictions: 0, earlyEvictions: 0 }

  constructor(options: TokenCacheOptions) {
    this.#max = Math.max(1, options.max)
    this.#ttl = options.ttl
    this.#clock = options.clock
    this.#useWindow = options.useWindow
    this.#refreshAhead = options.refreshAhead
  }

  /** The live entry for this digest, or undefined (absent or expired). */
  get(digest: string, now: number): CacheEntry | undefined {
    const entry = this.#byDigest.get(digest)
    if (entry === undefined) return undefined
    if (now >= entry.validUntil) {
      this.#drop(entry, now)
      return undefined
    }
    entry.referenced = true
    return entry
  }

  /** The owner recorded a use of this entry's token now: the next one is due a window later. */
  markUsed(entry: CacheEntry, now: number): void {
    ;(entry as Slot).useDueAt = now + this.#useWindow
  }

  /** The owner starts renewing this entry: it asks no more. Returns what `renew` will need. */
  takeRefresh(entry: CacheEntry): RefreshDue {
    ;(entry as Slot).refreshAt = Number.POSITIVE_INFINITY
    return entry
  }

  /**
   * Caches a verified principal; a token that expires within the window is cached only until then.
   * Returns the entry (undefined when nothing is cached): its `useDueAt` says whether the use that
   * led here is one to record, which it is unless an earlier use of the token was, within the window.
   */
  set(id: string, digest: string, principal: Principal, options: SetOptions = {}): CacheEntry | undefined {
    const now = this.#clock.now()
    const previous = this.#byId.get(id)
    const useDueAt = previous?.useDueAt ?? this.#useDueOfDropped.get(id) ?? now
    const verifiedHash = options.verifiedHash ?? null
    return this.#insert(
      id,
      digest,
      principal,
      options.limit,
      useDueAt,
      verifiedHash && hashFingerprint(verifiedHash),
    )
  }

  /**
   * Starts a new TTL for the entry a refresh began from, with what was read again, if that very entry
   * is still cached and alive: not dropped, evicted, expired or replaced (by a miss that read newer
   * data, say) meanwhile. Keeps its use due time and hash fingerprint. Returns whether it did.
   */
  renew(due: RefreshDue, principal: Principal, options: Pick<SetOptions, 'limit'> = {}): boolean {
    const current = this.#byDigest.get(due.digest)
    if (current !== due || current.validUntil <= this.#clock.now()) return false
    return (
      this.#insert(
        current.id,
        current.digest,
        principal,
        options.limit,
        current.useDueAt,
        current.verified,
      ) !== undefined
    )
  }

  #insert(
    id: string,
    digest: string,
    principal: Principal,
    limit: number | undefined,
    useDueAt: number,
    verified: string | null,
  ): Slot | undefined {
    if (this.#ttl <= 0) return undefined
    const now = this.#clock.now()
    const byTtl = now + this.#ttl
    const expiresAt = principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
    const validUntil = Math.min(byTtl, expiresAt, limit ?? Number.POSITIVE_INFINITY)
    if (validUntil <= now) return undefined
    // Room is made before the insertion, so that the eviction hand can never pick the new entry.
    const replaced = this.#byId.get(id)
    if (replaced !== undefined) this.#unlink(replaced)
    const sameDigest = this.#byDigest.get(digest)
    if (sameDigest !== undefined) this.#unlink(sameDigest)
    if (replaced === undefined && sameDigest === undefined && this.#byDigest.size >= this.#max)
      this.#evictOne(now)
    this.#useDueOfDropped.delete(id)
    const ownId = replaced?.id ?? detached(id)
    const entry: Slot = {
      id: ownId,
      digest,
      verified,
      result: this.#pool.success(ownId, principal),
      validUntil,
      useDueAt,
      refreshAt:
        this.#refreshAhead && validUntil === byTtl
          ? validUntil - this.#ttl * REFRESH_AHEAD_SHARE
          : Number.POSITIVE_INFINITY,
      referenced: false,
    }
    this.#byDigest.set(digest, entry)
    this.#byId.set(ownId, entry)
    return entry
  }

  // The hand starts at the oldest insertion: an expired entry goes at once, a referenced one loses its
  // mark and moves to the back, the first unreferenced one is evicted. Each pass clears marks, so
  // this ends within two sweeps, and costs O(1) amortised over the insertions that caused it.
  #evictOne(now: number): void {
    for (const [digest, entry] of this.#byDigest) {
      this.#byDigest.delete(digest)
      if (now >= entry.validUntil) {
        this.#drop(entry, now)
        return
      }
      if (!entry.referenced) {
        this.stats.evictions++
        if (entry.validUntil - now > this.#ttl / 2) this.stats.earlyEvictions++
        this.#drop(entry, now)
        return
      }
      entry.referenced = false
      this.#byDigest.set(digest, entry)
    }
  }

  /** Removes an entry that ends or is pushed out, noting its use due time if still ahead. */
  #drop(entry: Slot, now: number): void {
    this.#unlink(entry)
    this.#pruneNotes(now)
    if (entry.useDueAt <= now) return
    if (this.#useDueOfDropped.size >= this.#max) {
      for (const id of this.#useDueOfDropped.keys()) {
        this.#useDueOfDropped.delete(id)
        break
      }
    }
    this.#useDueOfDropped.set(entry.id, entry.useDueAt)
  }

  // Notes are added in about the order they fall due: the ones due already are at the front.
  #pruneNotes(now: number): void {
    for (const [id, dueAt] of this.#useDueOfDropped) {
      if (dueAt > now) return
      this.#useDueOfDropped.delete(id)
    }
  }

  #unlink(entry: Slot): void {
    this.#byDigest.delete(entry.digest)
    this.#byId.delete(entry.id)
  }

  /** Drops the entry of this token id (invalidated: its next use counts); true when there was one. */
  delete(id: string): boolean {
    this.#useDueOfDropped.delete(id)
    const entry = this.#byId.get(id)
    if (entry === undefined) return false
    this.#unlink(entry)
    return true
  }

  /** Drops every entry (nothing cached is trusted any more), keeping when their uses fall due. */
  clear(): void {
    const now = this.#clock.now()
    for (const entry of this.#byId.values()) this.#drop(entry, now)
  }

  get size(): number {
    return this.#byDigest.size
  }
}
