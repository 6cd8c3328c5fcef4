import { describe, expect, it } from 'vitest'
import type { Principal } from './principal.js'
import { manualClock } from './testing/backends.js'
import { TokenCache } from './token-cache.js'

function principal(tokenId: string, expiresAt: Date | null = null): Principal {
  return { kind: 'pat', userId: 'u1', scopes: ['repo:read'], tokenId, expiresAt }
}

function cacheWith(options: { max?: number; ttl?: number; useWindow?: number } = {}) {
  const clock = manualClock(1_000_000)
  const uses: Array<[string, number]> = []
  const cache = new TokenCache({
    max: options.max ?? 100,
    ttl: options.ttl ?? 60_000,
    clock,
    useWindow: options.useWindow ?? 60_000,
    onUse: (id, at) => uses.push([id, at]),
  })
  return { cache, clock, uses }
}

describe('TokenCache', () => {
  it('answers only the digest that verified, and only until its validity ends', () => {
    const { cache, clock } = cacheWith({ ttl: 1000 })
    cache.set('a', 'digest-a', principal('a'))
    expect(cache.get('a', 'digest-a', clock.now())?.principal.tokenId).toBe('a')
    expect(cache.get('a', 'digest-b', clock.now())).toBeUndefined()
    expect(cache.get('b', 'digest-a', clock.now())).toBeUndefined()
    clock.advance(999)
    expect(cache.get('a', 'digest-a', clock.now())).toBeDefined()
    clock.advance(1)
    expect(cache.get('a', 'digest-a', clock.now())).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('never keeps an entry past the token expiry or the given limit', () => {
    const { cache, clock } = cacheWith({ ttl: 60_000 })
    cache.set('a', 'd', principal('a', new Date(clock.now() + 500)))
    cache.set('b', 'd', principal('b'), clock.now() + 200)
    cache.set('c', 'd', principal('c', new Date(clock.now())))
    expect(cache.size).toBe(2)
    clock.advance(200)
    expect(cache.get('b', 'd', clock.now())).toBeUndefined()
    expect(cache.get('a', 'd', clock.now())).toBeDefined()
    clock.advance(300)
    expect(cache.get('a', 'd', clock.now())).toBeUndefined()
  })

  it('caches nothing with a TTL of 0', () => {
    const { cache, clock } = cacheWith({ ttl: 0 })
    cache.set('a', 'd', principal('a'))
    expect(cache.get('a', 'd', clock.now())).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('stays within max and keeps the entries that are being read (second chance)', () => {
    const { cache, clock } = cacheWith({ max: 3 })
    for (const id of ['hot', 'b', 'c']) cache.set(id, 'd', principal(id))
    for (let i = 0; i < 50; i++) {
      expect(cache.get('hot', 'd', clock.now())).toBeDefined()
      cache.set(`cold-${i}`, 'd', principal(`cold-${i}`))
      expect(cache.size).toBe(3)
    }
    expect(cache.get('b', 'd', clock.now())).toBeUndefined()
    expect(cache.get('cold-48', 'd', clock.now())).toBeDefined()
  })

  it('never evicts the entry it is inserting, even when every other one was read', () => {
    const { cache, clock } = cacheWith({ max: 3 })
    for (const id of ['a', 'b', 'c']) cache.set(id, 'd', principal(id))
    for (let i = 0; i < 20; i++) {
      for (const id of ['a', 'b', 'c']) cache.get(id, 'd', clock.now())
      cache.set(`new-${i}`, 'd', principal(`new-${i}`))
      expect(cache.get(`new-${i}`, 'd', clock.now())).toBeDefined()
      expect(cache.size).toBe(3)
    }
  })

  it('replacing an entry evicts nothing else', () => {
    const { cache, clock } = cacheWith({ max: 2 })
    cache.set('a', 'd', principal('a'))
    cache.set('b', 'd', principal('b'))
    cache.set('a', 'd2', principal('a'))
    expect(cache.get('a', 'd2', clock.now())).toBeDefined()
    expect(cache.get('b', 'd', clock.now())).toBeDefined()
  })

  it('evicts an expired entry even when it was read', () => {
    const { cache, clock } = cacheWith({ max: 2 })
    cache.set('short', 'd', principal('short'), clock.now() + 10)
    cache.set('live', 'd', principal('live'))
    cache.get('short', 'd', clock.now())
    clock.advance(10)
    cache.set('new', 'd', principal('new'))
    expect(cache.get('live', 'd', clock.now())).toBeDefined()
    expect(cache.get('new', 'd', clock.now())).toBeDefined()
  })

  it('reports a use at most once per window for each entry, not on the fill', () => {
    const { cache, clock, uses } = cacheWith({ ttl: 60_000, useWindow: 1000 })
    cache.set('a', 'd', principal('a'))
    for (let i = 0; i < 10; i++) cache.get('a', 'd', clock.now())
    expect(uses).toEqual([])
    clock.advance(1000)
    cache.get('a', 'd', clock.now())
    cache.get('a', 'd', clock.now())
    expect(uses).toEqual([['a', clock.now()]])
    cache.get('a', 'other digest', clock.now() + 5000)
    expect(uses).toHaveLength(1)
  })

  it('counts the window from the use recorded before the fill', () => {
    // As configured by createKeyward: the window is the TTL, so only an earlier recorded use lets a hit report.
    const { cache, clock, uses } = cacheWith({ ttl: 60_000, useWindow: 60_000 })
    cache.set('a', 'd', principal('a'), Number.POSITIVE_INFINITY, clock.now() - 40_000)
    clock.advance(19_999)
    cache.get('a', 'd', clock.now())
    expect(uses).toEqual([])
    clock.advance(1)
    cache.get('a', 'd', clock.now())
    expect(uses).toEqual([['a', clock.now()]])
  })

  it('forgets one id or everything', () => {
    const { cache, clock } = cacheWith()
    cache.set('a', 'd', principal('a'))
    cache.set('b', 'd', principal('b'))
    cache.delete('a')
    expect(cache.get('a', 'd', clock.now())).toBeUndefined()
    expect(cache.get('b', 'd', clock.now())).toBeDefined()
    cache.clear()
    expect(cache.size).toBe(0)
  })
})
