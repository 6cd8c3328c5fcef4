import { describe, expect, it } from 'vitest'
import { InvalidationFence, MAX_FENCED_IDS } from './invalidation-fence.js'

describe('InvalidationFence', () => {
  it('fences a read against an invalidation of its id that came after it began', () => {
    const fence = new InvalidationFence()
    const ticket = fence.enter()
    expect(fence.isFenced('t1', ticket)).toBe(false)
    fence.invalidate(['t1'])
    expect(fence.isFenced('t1', ticket)).toBe(true)
    expect(fence.isFenced('t2', ticket)).toBe(false)
    fence.leave()
  })

  it('does not fence an attempt that began after the invalidation', () => {
    const fence = new InvalidationFence()
    fence.enter()
    fence.invalidate(['t1'])
    const retry = fence.ticket()
    expect(fence.isFenced('t1', retry)).toBe(false)
    fence.leave()
  })

  it('remembers nothing while no read is in flight, and forgets once the last one leaves', () => {
    const fence = new InvalidationFence()
    fence.invalidate(['t1'])
    const ticket = fence.enter()
    expect(fence.isFenced('t1', ticket)).toBe(false)
    fence.invalidate(['t1'])
    fence.leave()
    // A later read starts from a later epoch: what was invalidated before does not concern it.
    const next = fence.enter()
    expect(fence.isFenced('t1', next)).toBe(false)
    fence.leave()
  })

  it('keeps the ids of overlapping reads until every one has left', () => {
    const fence = new InvalidationFence()
    const first = fence.enter()
    const second = fence.enter()
    fence.invalidate(['t1'])
    fence.leave()
    expect(fence.isFenced('t1', second)).toBe(true)
    expect(fence.isFenced('t1', first)).toBe(true)
    fence.leave()
  })

  it('fences every read in flight on invalidateEverything (a missed message)', () => {
    const fence = new InvalidationFence()
    const ticket = fence.enter()
    fence.invalidateEverything()
    expect(fence.isFenced('any', ticket)).toBe(true)
    expect(fence.isFenced('any', fence.ticket())).toBe(false)
    fence.leave()
  })

  it('past MAX_FENCED_IDS ids, fences every read in flight rather than growing', () => {
    const fence = new InvalidationFence()
    const ticket = fence.enter()
    const ids = Array.from({ length: MAX_FENCED_IDS + 1 }, (_, i) => `id${i}`)
    fence.invalidate(ids)
    expect(fence.isFenced('never-invalidated', ticket)).toBe(true)
    fence.leave()
  })
})
