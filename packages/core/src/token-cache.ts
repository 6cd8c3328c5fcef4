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

type Entry = {
  /** Base64 SHA-256 of the whole token that verified; a hit must present the same one. */
  readonly digest: string
  /** min(cached at + ttl, expires_at): past it the entry is dead. */
  readonly validUntil: number
  readonly result: { readonly ok: true; readonly principal: Principal }
  /** Read since the eviction hand last passed it (second-chance eviction). */
  referenced: boolean
  /** When a use of this token was last reported to `onUse`. */
  reportedAt: number
}

export type TokenCacheOptions = {
  max: number
  ttl: number
  clock: Clock
  /** Hits report a use at most once per this many ms per entry (last-used bookkeeping). */
  useWindow: number
  onUse: (id: string, at: number) => void
}

/**
 * The in-process level: token id → principal, held only as long as the configured TTL and never
 * past the token's expiry. A hit costs one Map lookup, one constant-time compare and two field
 * writes: no recency list to reorder, no timers. Eviction is second-chance (CLOCK), which keeps
 * recently read entries about as well as an LRU does.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>()
  readonly #max: number
  readonly #ttl: number
  readonly #clock: Clock
  readonly #useWindow: number
  readonly #onUse: (id: string, at: number) => void

  constructor(options: TokenCacheOptions) {
    this.#max = Math.max(1, options.max)
    this.#ttl = options.ttl
    this.#clock = options.clock
    this.#useWindow = options.useWindow
    this.#onUse = options.onUse
  }

  /** The cached success for this id and digest, or undefined (absent, other digest, or expired). */
  get(id: string, digest: string, now: number): Entry['result'] | undefined {
    const entry = this.#entries.get(id)
    if (entry === undefined || !digestEquals(entry.digest, digest)) return undefined
    if (now >= entry.validUntil) {
      this.#entries.delete(id)
      return undefined
    }
    entry.referenced = true
    if (now - entry.reportedAt >= this.#useWindow) {
      entry.reportedAt = now
      this.#onUse(id, now)
    }
    return entry.result
  }

  /**
   * Caches a verified principal; a token that expires within the window is cached only until then.
   * `limit` caps the entry further (an expiry from the shared level, a shorter TTL). The caller
   * records the use that led here and passes, as `reportedAt`, when a use of this token was last
   * recorded (that one, or an earlier one within the window); hits report uses from one window later.
   */
  set(
    id: string,
    digest: string,
    principal: Principal,
    limit = Number.POSITIVE_INFINITY,
    reportedAt?: number,
  ): void {
    if (this.#ttl <= 0) return
    const now = this.#clock.now()
    const expiresAt = principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
    const validUntil = Math.min(now + this.#ttl, expiresAt, limit)
    if (validUntil <= now) return
    // Room is made before the insertion, so that the eviction hand can never pick the new entry.
    const replaced = this.#entries.delete(id)
    if (!replaced && this.#entries.size >= this.#max) this.#evictOne(now)
    this.#entries.set(id, {
      digest,
      validUntil,
      result: Object.freeze({ ok: true, principal }),
      referenced: false,
      reportedAt: reportedAt ?? now,
    })
  }

  // The hand starts at the oldest insertion: an expired entry goes at once, a referenced one loses its
  // mark and moves to the back, the first unreferenced one is evicted. Each pass clears marks, so
  // this ends within two sweeps, and costs O(1) amortised over the insertions that caused it.
  #evictOne(now: number): void {
    for (const [id, entry] of this.#entries) {
      this.#entries.delete(id)
      if (!entry.referenced || now >= entry.validUntil) return
      entry.referenced = false
      this.#entries.set(id, entry)
    }
  }

  delete(id: string): void {
    this.#entries.delete(id)
  }

  clear(): void {
    this.#entries.clear()
  }

  get size(): number {
    return this.#entries.size
  }
}
