import { describe, expect, it } from 'vitest'
import type { Principal } from './principal.js'
import type { CachedSuccess } from './principal-pool.js'
import { manualClock } from './testing/backends.js'
import { hashFingerprint, NO_ENTRY, type RefreshDue, type SetOptions, TokenCache } from './token-cache.js'

function principal(tokenId: string, expiresAt: Date | null = null): Principal {
  return { kind: 'pat', userId: 'u1', scopes: ['repo:read'], tokenId, expiresAt }
}

/** Stands in for the SHA-256 a real entry is keyed by: one digest per token. */
const digestOf = (id: string) => `digest-of-${id}`

/** What a refresh was asked for, as the owner sees it (the hash it verified, by fingerprint). */
type AskedRefresh = { id: string; digest: string; verifiedHash: string | null }

// The cache only stores and answers: this plays its owner (keyward.ts), which records a use when an
// entry says one is due (from `reportedAt`, when a use was last recorded, by default at the fill) and
// starts a refresh when one says so.
function cacheWith(options: { max?: number; ttl?: number; useWindow?: number } = {}) {
  const clock = manualClock(1_000_000)
  const uses: Array<[string, number]> = []
  const refreshes: AskedRefresh[] = []
  const dues = new Map<AskedRefresh, RefreshDue>()
  const hashes = new Map<string, string>()
  const useWindow = options.useWindow ?? 60_000
  const inner = new TokenCache({
    max: options.max ?? 100,
    ttl: options.ttl ?? 60_000,
    clock,
    useWindow,
    refreshAhead: true,
  })
  const cache = {
    get(digest: string, now: number): CachedSuccess | undefined {
      const slot = inner.get(digest, now)
      if (slot === NO_ENTRY) return undefined
      if (now >= inner.useDueAt(slot)) {
        inner.markUsed(slot, now)
        uses.push([inner.id(slot), now])
      }
      if (now >= inner.refreshAt(slot)) {
        const due = inner.takeRefresh(slot)
        const hash = hashes.get(due.id) ?? null
        const verifiedHash = hash !== null && hashFingerprint(hash) === due.verified ? hash : null
        const asked = { id: due.id, digest: due.digest, verifiedHash }
        dues.set(asked, due)
        refreshes.push(asked)
      }
      return inner.result(slot)
    },
    set(id: string, digest: string, p: Principal, setOptions: SetOptions & { reportedAt?: number } = {}) {
      const { reportedAt, ...rest } = setOptions
      if (rest.verifiedHash) hashes.set(id, rest.verifiedHash)
      const slot = inner.set(id, digest, p, rest)
      if (slot !== NO_ENTRY && clock.now() >= inner.useDueAt(slot))
        inner.markUsed(slot, reportedAt ?? clock.now())
      return slot !== NO_ENTRY
    },
    renew: (asked: AskedRefresh, p: Principal) => inner.renew(dues.get(asked) ?? (asked as never), p),
    delete: (id: string) => inner.delete(id),
    clear: () => inner.clear(),
    get size() {
      return inner.size
    },
  }
  return { cache, clock, uses, refreshes }
}

describe('TokenCache', () => {
  it('answers only the digest that verified, and only until its validity ends', () => {
    const { cache, clock } = cacheWith({ ttl: 1000 })
    cache.set('a', 'digest-a', principal('a'))
    expect(cache.get('digest-a', clock.now())?.principal.tokenId).toBe('a')
    expect(cache.get('digest-b', clock.now())).toBeUndefined()
    expect(cache.get('a', clock.now())).toBeUndefined()
    clock.advance(999)
    expect(cache.get('digest-a', clock.now())).toBeDefined()
    clock.advance(1)
    expect(cache.get('digest-a', clock.now())).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('never keeps an entry past the token expiry or the given limit', () => {
    const { cache, clock } = cacheWith({ ttl: 60_000 })
    cache.set('a', digestOf('a'), principal('a', new Date(clock.now() + 500)))
    cache.set('b', digestOf('b'), principal('b'), { limit: clock.now() + 200 })
    cache.set('c', digestOf('c'), principal('c', new Date(clock.now())))
    expect(cache.size).toBe(2)
    clock.advance(200)
    expect(cache.get(digestOf('b'), clock.now())).toBeUndefined()
    expect(cache.get(digestOf('a'), clock.now())).toBeDefined()
    clock.advance(300)
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
  })

  it('caches nothing with a TTL of 0', () => {
    const { cache, clock } = cacheWith({ ttl: 0 })
    cache.set('a', digestOf('a'), principal('a'))
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('stays within max and keeps the entries that are being read (second chance)', () => {
    const { cache, clock } = cacheWith({ max: 3 })
    for (const id of ['hot', 'b', 'c']) cache.set(id, digestOf(id), principal(id))
    for (let i = 0; i < 50; i++) {
      expect(cache.get(digestOf('hot'), clock.now())).toBeDefined()
      cache.set(`cold-${i}`, digestOf(`cold-${i}`), principal(`cold-${i}`))
      expect(cache.size).toBe(3)
    }
    expect(cache.get(digestOf('b'), clock.now())).toBeUndefined()
    expect(cache.get(digestOf('cold-48'), clock.now())).toBeDefined()
  })

  it('never evicts the entry it is inserting, even when every other one was read', () => {
    const { cache, clock } = cacheWith({ max: 3 })
    for (const id of ['a', 'b', 'c']) cache.set(id, digestOf(id), principal(id))
    for (let i = 0; i < 20; i++) {
      for (const id of ['a', 'b', 'c']) cache.get(digestOf(id), clock.now())
      cache.set(`new-${i}`, digestOf(`new-${i}`), principal(`new-${i}`))
      expect(cache.get(digestOf(`new-${i}`), clock.now())).toBeDefined()
      expect(cache.size).toBe(3)
    }
  })

  it('replacing an entry evicts nothing else, and the digest it replaced no longer answers', () => {
    const { cache, clock } = cacheWith({ max: 2 })
    cache.set('a', digestOf('a'), principal('a'))
    cache.set('b', digestOf('b'), principal('b'))
    cache.set('a', 'rotated', principal('a'))
    expect(cache.get('rotated', clock.now())).toBeDefined()
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
    expect(cache.get(digestOf('b'), clock.now())).toBeDefined()
    expect(cache.size).toBe(2)
    cache.delete('a')
    expect(cache.get('rotated', clock.now())).toBeUndefined()
  })

  it('keeps its id index in step with evictions and expiries', () => {
    const { cache, clock } = cacheWith({ max: 2 })
    cache.set('a', digestOf('a'), principal('a'))
    cache.set('b', digestOf('b'), principal('b'), { limit: clock.now() + 10 })
    cache.set('c', digestOf('c'), principal('c'))
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
    // An evicted id is gone for delete too, and its digest can come back under it.
    expect(cache.delete('a')).toBe(false)
    clock.advance(10)
    expect(cache.get(digestOf('b'), clock.now())).toBeUndefined()
    expect(cache.delete('b')).toBe(false)
    cache.set('a', digestOf('a'), principal('a'))
    expect(cache.size).toBe(2)
    expect(cache.delete('c')).toBe(true)
    expect(cache.get(digestOf('c'), clock.now())).toBeUndefined()
    expect(cache.get(digestOf('a'), clock.now())).toBeDefined()
  })

  it('evicts an expired entry even when it was read', () => {
    const { cache, clock } = cacheWith({ max: 2 })
    cache.set('short', digestOf('short'), principal('short'), { limit: clock.now() + 10 })
    cache.set('live', digestOf('live'), principal('live'))
    cache.get(digestOf('short'), clock.now())
    clock.advance(10)
    cache.set('new', digestOf('new'), principal('new'))
    expect(cache.get(digestOf('live'), clock.now())).toBeDefined()
    expect(cache.get(digestOf('new'), clock.now())).toBeDefined()
  })

  it('reports a use at most once per window for each entry, not on the fill', () => {
    const { cache, clock, uses } = cacheWith({ ttl: 60_000, useWindow: 1000 })
    cache.set('a', digestOf('a'), principal('a'))
    for (let i = 0; i < 10; i++) cache.get(digestOf('a'), clock.now())
    expect(uses).toEqual([])
    clock.advance(1000)
    cache.get(digestOf('a'), clock.now())
    cache.get(digestOf('a'), clock.now())
    expect(uses).toEqual([['a', clock.now()]])
    cache.get('other digest', clock.now() + 5000)
    expect(uses).toHaveLength(1)
  })

  it('counts the window from the use recorded before the fill', () => {
    // As configured by createKeyward: the window is the TTL, so only an earlier recorded use lets a hit report.
    const { cache, clock, uses } = cacheWith({ ttl: 60_000, useWindow: 60_000 })
    cache.set('a', digestOf('a'), principal('a'), { reportedAt: clock.now() - 40_000 })
    clock.advance(19_999)
    cache.get(digestOf('a'), clock.now())
    expect(uses).toEqual([])
    clock.advance(1)
    cache.get(digestOf('a'), clock.now())
    expect(uses).toEqual([['a', clock.now()]])
  })

  it('forgets one id or everything', () => {
    const { cache, clock } = cacheWith()
    cache.set('a', digestOf('a'), principal('a'))
    cache.set('b', digestOf('b'), principal('b'))
    cache.delete('a')
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
    expect(cache.get(digestOf('b'), clock.now())).toBeDefined()
    cache.clear()
    expect(cache.size).toBe(0)
  })

  it('asks once for a refresh when a hit comes in the last fifth of the TTL, and keeps answering', () => {
    const { cache, clock, refreshes } = cacheWith({ ttl: 1000 })
    cache.set('a', digestOf('a'), principal('a'), { verifiedHash: 'hash-a' })
    clock.advance(799)
    cache.get(digestOf('a'), clock.now())
    expect(refreshes).toEqual([])
    clock.advance(1)
    for (let i = 0; i < 5; i++) expect(cache.get(digestOf('a'), clock.now())).toBeDefined()
    expect(refreshes).toMatchObject([{ id: 'a', digest: digestOf('a'), verifiedHash: 'hash-a' }])
    clock.advance(200)
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
    expect(refreshes).toHaveLength(1)
  })

  it('never asks to refresh an entry that ends before its TTL', () => {
    const { cache, clock, refreshes } = cacheWith({ ttl: 1000 })
    cache.set('expiring', digestOf('expiring'), principal('expiring', new Date(clock.now() + 900)))
    cache.set('limited', digestOf('limited'), principal('limited'), { limit: clock.now() + 900 })
    clock.advance(850)
    expect(cache.get(digestOf('expiring'), clock.now())).toBeDefined()
    expect(cache.get(digestOf('limited'), clock.now())).toBeDefined()
    expect(refreshes).toEqual([])
  })

  it('renews the entry a refresh began from for another TTL, keeping its hash and last-used report time', () => {
    const { cache, clock, uses, refreshes } = cacheWith({ ttl: 1000, useWindow: 1000 })
    cache.set('a', digestOf('a'), principal('a'), { verifiedHash: 'hash-a', reportedAt: clock.now() - 50 })
    clock.advance(900)
    cache.get(digestOf('a'), clock.now())
    expect(uses).toEqual([])
    const [due] = refreshes
    if (due === undefined) throw new Error('no refresh asked for')
    expect(cache.renew(due, { ...principal('a'), scopes: ['repo:write'] })).toBe(true)
    clock.advance(500)
    const hit = cache.get(digestOf('a'), clock.now())
    expect(hit?.principal.scopes).toEqual(['repo:write'])
    // The window counts from the report before the renewal, not from the renewal.
    expect(uses).toEqual([['a', clock.now()]])
    clock.advance(300)
    cache.get(digestOf('a'), clock.now())
    expect(refreshes).toHaveLength(2)
    expect(refreshes[1]).toMatchObject({ id: 'a', digest: digestOf('a'), verifiedHash: 'hash-a' })
    // A refresh renews once: the entry it began from is gone after the renewal.
    expect(cache.renew(due, principal('a'))).toBe(false)
    clock.advance(200)
    expect(cache.get(digestOf('a'), clock.now())).toBeUndefined()
  })

  it('renews nothing dropped, expired, or refilled meanwhile, even under the same digest', () => {
    const { cache, clock, refreshes } = cacheWith({ ttl: 1000 })
    const dueOf = (id: string) => {
      cache.set(id, digestOf(id), principal(id))
      clock.advance(800)
      cache.get(digestOf(id), clock.now())
      const due = refreshes.at(-1)
      if (due?.id !== id) throw new Error('no refresh asked for')
      return due
    }
    const dropped = dueOf('dropped')
    cache.delete('dropped')
    expect(cache.renew(dropped, principal('dropped'))).toBe(false)
    expect(cache.get(digestOf('dropped'), clock.now())).toBeUndefined()

    const expired = dueOf('expired')
    clock.advance(200)
    expect(cache.renew(expired, principal('expired'))).toBe(false)
    expect(cache.get(digestOf('expired'), clock.now())).toBeUndefined()

    // Refilled by a miss that read newer data: a slower refresh must not overwrite it.
    const refilled = dueOf('refilled')
    cache.delete('refilled')
    cache.set('refilled', digestOf('refilled'), principal('refilled', new Date(clock.now() + 100)))
    expect(cache.renew(refilled, principal('refilled'))).toBe(false)
    clock.advance(100)
    expect(cache.get(digestOf('refilled'), clock.now())).toBeUndefined()
  })
})
