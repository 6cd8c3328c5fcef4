import { LRUCache } from 'lru-cache'
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
  /** min(cached at + ttl, expires_at): past it the entry is dead, whatever the LRU thinks. */
  readonly validUntil: number
  readonly result: { readonly ok: true; readonly principal: Principal }
}

/**
 * The in-process level: token id → principal, held only as long as the configured TTL and never
 * past the token's expiry. A hit costs one map lookup and one constant-time compare.
 */
export class TokenCache {
  readonly #lru: LRUCache<string, Entry>
  readonly #ttl: number
  readonly #clock: Clock

  constructor(options: { max: number; ttl: number; clock: Clock }) {
    this.#ttl = options.ttl
    this.#clock = options.clock
    // No lru-cache TTL: every entry carries its own `validUntil`, checked on each hit against the
    // injected clock, and lru-cache's TTL bookkeeping (timers included) would only slow the hot path.
    this.#lru = new LRUCache<string, Entry>({ max: options.max })
  }

  /** The cached success for this id and digest, or undefined (absent, other digest, or expired). */
  get(id: string, digest: string, now: number): Entry['result'] | undefined {
    const entry = this.#lru.get(id)
    if (entry === undefined || !digestEquals(entry.digest, digest)) return undefined
    if (now < entry.validUntil) return entry.result
    this.#lru.delete(id)
    return undefined
  }

  /**
   * Caches a verified principal; a token that expires within the window is cached only until then.
   * `limit` caps the entry further (an expiry from the shared level, a shorter TTL).
   */
  set(id: string, digest: string, principal: Principal, limit = Number.POSITIVE_INFINITY): void {
    if (this.#ttl <= 0) return
    const now = this.#clock.now()
    const expiresAt = principal.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY
    const validUntil = Math.min(now + this.#ttl, expiresAt, limit)
    if (validUntil <= now) return
    this.#lru.set(id, { digest, validUntil, result: Object.freeze({ ok: true, principal }) })
  }

  delete(id: string): void {
    this.#lru.delete(id)
  }

  clear(): void {
    this.#lru.clear()
  }

  get size(): number {
    return this.#lru.size
  }
}
