import { describe, expect, it } from 'vitest'
import { growingLru } from './lru.js'

describe('growingLru', () => {
  it('holds at most max entries and evicts the least recently used first', () => {
    const cache = growingLru<string, number>(3)
    for (const key of ['a', 'b', 'c']) cache.set(key, 1)
    cache.get('a')
    cache.set('d', 1)
    expect(cache.size).toBe(3)
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd'])
  })

  it('stays bounded through many more entries than max', () => {
    const cache = growingLru<number, number>(1000)
    for (let i = 0; i < 50_000; i++) cache.set(i, i)
    expect(cache.size).toBe(1000)
    expect(cache.get(49_999)).toBe(49_999)
    expect(cache.has(48_999)).toBe(false)
  })

  it('allocates nothing for max up front', () => {
    // lru-cache preallocates for `max`; the bound here is a size, so `max` stays 0.
    const cache = growingLru<string, number>(100_000)
    expect(cache.max).toBe(0)
    expect(cache.maxSize).toBe(100_000)
  })

  it('keeps TTLs on the injected clock and coalesces fetches', async () => {
    let now = 1000
    let reads = 0
    const cache = growingLru<string, number>(10, {
      ttl: 100,
      ttlResolution: 0,
      perf: { now: () => now },
      fetchMethod: async () => ++reads,
    })
    const [first, second] = await Promise.all([cache.fetch('k'), cache.fetch('k')])
    expect([first, second, reads]).toEqual([1, 1, 1])
    now = 1101
    expect(cache.has('k')).toBe(false)
    expect(await cache.fetch('k')).toBe(2)
  })

  it('counts reads in flight against the bound', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const cache = growingLru<number, number>(10, {
      fetchMethod: async (key) => {
        await gate
        return key
      },
    })
    const reads = Array.from({ length: 1000 }, (_, key) => cache.fetch(key).catch(() => undefined))
    expect(cache.size).toBe(10)
    release()
    await Promise.all(reads)
    expect(cache.size).toBeLessThanOrEqual(10)
  })
})
