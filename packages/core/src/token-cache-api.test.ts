import { describe, expect, it } from 'vitest'
import type { Principal } from './principal.js'
import { manualClock } from './testing/backends.js'
import { hashFingerprint, NO_ENTRY, TokenCache } from './token-cache.js'

const principal = (tokenId: string, userId = 'u1', scopes = ['repo:read']): Principal => ({
  kind: 'pat',
  userId,
  scopes,
  tokenId,
  expiresAt: null,
})

function cacheWith(options: { max?: number; ttl?: number; useWindow?: number } = {}) {
  const clock = manualClock(1_000_000)
  const cache = new TokenCache({
    max: options.max ?? 100,
    ttl: options.ttl ?? 60_000,
    clock,
    useWindow: options.useWindow ?? 60_000,
    refreshAhead: true,
  })
  return { cache, clock }
}

describe('TokenCache, as its owner drives it', () => {
  it('answers a frozen { ok, principal } with nothing internal in it', () => {
    const { cache, clock } = cacheWith()
    cache.set('a', 'digest-a', principal('a'), { verifiedHash: 'secret hash' })
    const result = cache.result(cache.get('digest-a', clock.now()))
    expect(result).toStrictEqual({ ok: true, principal: principal('a') })
    expect(Object.isFrozen(result)).toBe(true)
    expect(Object.isFrozen(result.principal)).toBe(true)
    expect(Object.isFrozen(result.principal.scopes)).toBe(true)
    expect(JSON.stringify(result)).not.toContain('hash')
  })

  it('shares one scopes array between tokens that have the same scopes', () => {
    const { cache, clock } = cacheWith()
    cache.set('a', 'digest-a', principal('a', 'u1', ['repo:read', 'repo:write']))
    cache.set('b', 'digest-b', principal('b', 'u1', ['repo:read', 'repo:write']))
    cache.set('c', 'digest-c', principal('c', 'u2', ['repo:read']))
    const [a, b, c] = ['a', 'b', 'c'].map(
      (id) => cache.result(cache.get(`digest-${id}`, clock.now())).principal,
    )
    expect(a?.scopes).toBe(b?.scopes)
    expect(c?.scopes).toEqual(['repo:read'])
    expect(c?.scopes).not.toBe(a?.scopes)
    expect(c?.userId).toBe('u2')
  })

  it('says a use is due at the fill, then once per window from the use the owner marks', () => {
    const { cache, clock } = cacheWith({ useWindow: 1000 })
    const slot = cache.set('a', 'digest-a', principal('a'))
    expect(slot).not.toBe(NO_ENTRY)
    expect(cache.useDueAt(slot)).toBeLessThanOrEqual(clock.now())
    cache.markUsed(slot, clock.now())
    clock.advance(999)
    expect(cache.useDueAt(cache.get('digest-a', clock.now()))).toBeGreaterThan(clock.now())
    clock.advance(1)
    expect(cache.useDueAt(cache.get('digest-a', clock.now()))).toBe(clock.now())
  })

  it('remembers when a use is due for a token evicted early, and forgets it when the token is invalidated', () => {
    const { cache, clock } = cacheWith({ max: 1, useWindow: 60_000 })
    const a = cache.set('a', 'digest-a', principal('a'))
    cache.markUsed(a, clock.now())
    const dueAt = cache.useDueAt(a)
    cache.set('b', 'digest-b', principal('b'))
    expect(cache.get('digest-a', clock.now())).toBe(NO_ENTRY)
    clock.advance(1000)
    expect(cache.useDueAt(cache.set('a', 'digest-a', principal('a')))).toBe(dueAt)
    cache.delete('a')
    expect(cache.useDueAt(cache.set('a', 'digest-a', principal('a')))).toBe(clock.now())
  })

  it('counts live entries evicted for room, and those evicted in the first half of their TTL', () => {
    const { cache, clock } = cacheWith({ max: 2, ttl: 1000 })
    cache.set('a', 'digest-a', principal('a'))
    cache.set('b', 'digest-b', principal('b'))
    cache.set('c', 'digest-c', principal('c'))
    expect(cache.stats).toEqual({ evictions: 1, earlyEvictions: 1 })
    clock.advance(600)
    cache.set('d', 'digest-d', principal('d'))
    expect(cache.stats).toEqual({ evictions: 2, earlyEvictions: 1 })
    // Expired entries make room without counting.
    clock.advance(1000)
    cache.set('e', 'digest-e', principal('e'))
    cache.set('f', 'digest-f', principal('f'))
    expect(cache.stats).toEqual({ evictions: 2, earlyEvictions: 1 })
  })

  it('hands a refresh out once, with the fingerprint of the hash that verified, and renews that entry only', () => {
    const { cache, clock } = cacheWith({ ttl: 1000 })
    cache.set('a', 'digest-a', principal('a'), { verifiedHash: 'hash-a' })
    clock.advance(800)
    const slot = cache.get('digest-a', clock.now())
    expect(cache.refreshAt(slot)).toBeLessThanOrEqual(clock.now())
    const due = cache.takeRefresh(slot)
    expect(due.verified).toBe(hashFingerprint('hash-a'))
    expect(cache.refreshAt(cache.get('digest-a', clock.now()))).toBe(Number.POSITIVE_INFINITY)
    // Refilled meanwhile, in the very slot it had: the refresh must not renew the newer entry.
    cache.set('a', 'digest-a', principal('a'))
    expect(cache.get('digest-a', clock.now())).toBe(slot)
    expect(cache.renew(due, principal('a'))).toBe(false)
  })
})
