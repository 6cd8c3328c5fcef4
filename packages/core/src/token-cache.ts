import type { Clock } from './clock.js'
import type { Principal } from './principal.js'

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

/** What a refresh is about: the entry as it was when the refresh began (see `renew`). */
export type RefreshDue = {
  readonly id: string
  readonly digest: string
  /** The stored hash the token's secret verified against here, if it did here (opaque to the cache). */
  readonly verifiedHash: string | null
}

/** `digest`: base64 SHA-256 of `Bearer <token>` for the token that verified, the key a hit must present. */
type Entry = RefreshDue & {
  /** min(cached at + ttl, expires_at): past it the entry is dead. */
  readonly validUntil: number
  readonly result: { readonly ok: true; readonly principal: Principal }
  /** Read since the eviction hand last passed it (second-chance eviction). */
  referenced: boolean
  /** When a use of this token was last reported to `onUse`. */
  reportedAt: number
  /** A hit at or past this time asks `onRefresh` to renew the entry; then never again. */
  refreshAt: number
}

/** The last part of its TTL in which a hit starts renewing the entry. */
const REFRESH_AHEAD_SHARE = 0.2

export type SetOptions = {
  /** Caps the entry further than the TTL and token expiry (a shared entry's end, say). */
  limit?: number
  /** When a use of this token was last recorded; hits report uses from one window later. Default now. */
  reportedAt?: number
  verifiedHash?: string | null
}

export type TokenCacheOptions = {
  max: number
  ttl: number
  clock: Clock
  /** Hits report a use at most once per this many ms per entry (last-used bookkeeping). */
  useWindow: number
  onUse: (id: string, at: number) => void
  /**
   * Called, at most once per entry, by a hit in the last fifth of an entry's TTL, so that a token in
   * use can be confirmed again (and `renew`ed) before its entry expires, instead of every request
   * that arrives after it waiting on one miss. Not called for an entry that ends before its TTL
   * (token expiry, `limit`), since renewing could not extend it.
   */
  onRefresh?: (due: RefreshDue) => void
}

/**
 * The in-process level: the digest of a verified token → its principal, held only as long as the
 * configured TTL and never past the token's expiry, with an index by token id for invalidation.
 * A hit costs one Map lookup and two field writes: no id to cut out of the header, no recency list
 * to reorder, no timers. Eviction is second-chance (CLOCK), which keeps recently read entries about
 * as well as an LRU does.
 *
 * Looking the digest up is as safe as comparing it in constant time: the Map's string compare may
 * stop at the first differing byte, but all it could tell is how far the SHA-256 of a guess agrees
 * with a cached one, and steering a digest byte by byte needs a preimage.
 */
export class TokenCache {
  readonly #byDigest = new Map<string, Entry>()
  readonly #digestById = new Map<string, string>()
  readonly #max: number
  readonly #ttl: number
  readonly #clock: Clock
  readonly #useWindow: number
  readonly #onUse: (id: string, at: number) => void
  readonly #onRefresh: TokenCacheOptions['onRefresh']

  constructor(options: TokenCacheOptions) {
    this.#max = Math.max(1, options.max)
    this.#ttl = options.ttl
    this.#clock = options.clock
    this.#useWindow = options.useWindow
    this.#onUse = options.onUse
    this.#onRefresh = options.onRefresh
  }

  /** The cached success for this digest, or undefined (absent or expired). */
  get(digest: string, now: number): Entry['result'] | undefined {
    const entry = this.#byDigest.get(digest)
    if (entry === undefined) return undefined
    if (now >= entry.validUntil) {
      this.#remove(entry)
      return undefined
    }
    entry.referenced = true
    if (now - entry.reportedAt >= this.#useWindow) {
      entry.reportedAt = now
      this.#onUse(entry.id, now)
    }
    if (now >= entry.refreshAt) {
      entry.refreshAt = Number.POSITIVE_INFINITY
      this.#onRefresh?.(entry)
    }
    return entry.result
  }

  /**
   * Caches a verified principal; a token that expires within the window is cached only until then.
   * The caller records the use that led here and passes, as `reportedAt`, when a use of this token
   * was last recorded (that one, or an earlier one within the window).
   */
  set(id: string, digest: string, principal: Principal, options: SetOptions = {}): boolean {
    if (this.#ttl <= 0) return false
    const now = this.#clock.now()
    const byTtl = now + this.#ttl
    const expiresAt = principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
    const validUntil = Math.min(byTtl, expiresAt, options.limit ?? Number.POSITIVE_INFINITY)
    if (validUntil <= now) return false
    // Room is made before the insertion, so that the eviction hand can never pick the new entry.
    const replaced = this.delete(id)
    const sameDigest = this.#byDigest.get(digest)
    if (sameDigest !== undefined) this.#remove(sameDigest)
    if (!replaced && sameDigest === undefined && this.#byDigest.size >= this.#max) this.#evictOne(now)
    this.#byDigest.set(digest, {
      id,
      digest,
      validUntil,
      result: Object.freeze({ ok: true, principal }),
      referenced: false,
      reportedAt: options.reportedAt ?? now,
      refreshAt:
        validUntil === byTtl && this.#onRefresh !== undefined
          ? validUntil - this.#ttl * REFRESH_AHEAD_SHARE
          : Number.POSITIVE_INFINITY,
      verifiedHash: options.verifiedHash ?? null,
    })
    this.#digestById.set(id, digest)
    return true
  }

  /**
   * Starts a new TTL for the entry a refresh began from, with what was read again, if that very entry
   * is still cached and alive: not dropped, evicted, expired or replaced (by a miss that read newer
   * data, say) meanwhile. Keeps its last-used report time and hash. Returns whether it did.
   */
  renew(due: RefreshDue, principal: Principal, options: Pick<SetOptions, 'limit'> = {}): boolean {
    const current = this.#byDigest.get(due.digest)
    if (current !== due || current.validUntil <= this.#clock.now()) return false
    return this.set(current.id, current.digest, principal, {
      ...options,
      reportedAt: current.reportedAt,
      verifiedHash: current.verifiedHash,
    })
  }

  // The hand starts at the oldest insertion: an expired entry goes at once, a referenced one loses its
  // mark and moves to the back, the first unreferenced one is evicted. Each pass clears marks, so
  // this ends within two sweeps, and costs O(1) amortised over the insertions that caused it.
  #evictOne(now: number): void {
    for (const [digest, entry] of this.#byDigest) {
      this.#byDigest.delete(digest)
      if (!entry.referenced || now >= entry.validUntil) {
        this.#digestById.delete(entry.id)
        return
      }
      entry.referenced = false
      this.#byDigest.set(digest, entry)
    }
  }

  #remove(entry: Entry): void {
    this.#byDigest.delete(entry.digest)
    this.#digestById.delete(entry.id)
  }

  /** Drops the entry of this token id; true when there was one. */
  delete(id: string): boolean {
    const digest = this.#digestById.get(id)
    if (digest === undefined) return false
    this.#digestById.delete(id)
    this.#byDigest.delete(digest)
    return true
  }

  clear(): void {
    this.#byDigest.clear()
    this.#digestById.clear()
  }

  get size(): number {
    return this.#byDigest.size
  }
}
