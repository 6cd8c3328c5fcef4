import type { Principal } from './principal.js'

/** What a cache hit answers: frozen, the same object on every hit of an entry. */
export type CachedSuccess = { readonly ok: true; readonly principal: Principal }

/** Distinct scope sets (and user ids) remembered before the pool starts over: it only ever shares. */
const POOL_LIMIT = 10_000

/**
 * A copy of `text` that holds none of the string it was cut from. A token id is a slice of the
 * request's header, and V8 keeps the whole header alive for as long as the slice lives.
 */
export function detached(text: string): string {
  const copy = Buffer.from(text, 'latin1').toString('latin1')
  return copy === text ? copy : text
}

/**
 * Builds the results a token cache holds, sharing between entries what tokens have in common: one
 * frozen scopes array per distinct set of scopes, one string per user id. A pool that reaches its
 * limit starts over (entries keep what they hold), so that it stays bounded without bookkeeping.
 */
export class PrincipalPool {
  readonly #scopes = new Map<string, readonly string[]>()
  readonly #userIds = new Map<string, string>()

  /** The frozen `{ ok: true, principal }` for a token; `id` as the cache keeps it (see `detached`). */
  success(id: string, principal: Principal): CachedSuccess {
    return Object.freeze({
      ok: true,
      principal: Object.freeze({
        kind: principal.kind,
        userId: this.#userId(principal.userId),
        scopes: this.#scopesOf(principal.scopes),
        tokenId: id,
        expiresAt: principal.expiresAt,
      }),
    })
  }

  #userId(userId: string): string {
    const known = this.#userIds.get(userId)
    if (known !== undefined) return known
    if (this.#userIds.size >= POOL_LIMIT) this.#userIds.clear()
    const own = detached(userId)
    this.#userIds.set(own, own)
    return own
  }

  #scopesOf(scopes: readonly string[]): readonly string[] {
    const key = JSON.stringify(scopes)
    const known = this.#scopes.get(key)
    if (known !== undefined) return known
    if (this.#scopes.size >= POOL_LIMIT) this.#scopes.clear()
    const own = Object.freeze(scopes.map(detached))
    this.#scopes.set(key, own)
    return own
  }
}
