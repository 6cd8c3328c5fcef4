import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Redeliveries } from './redelivery.js'
import type { InvalidationMessage } from './shared-cache.js'

// Fake timers move Date.now() too, so the clock and the timers advance together.
const clock = { now: () => Date.now() }
const message: InvalidationMessage = { tokens: ['t1'] }

/** A send that fails `failures` times, then succeeds; records when each attempt came. */
function flakySend(failures: number) {
  const start = Date.now()
  const attempts: number[] = []
  const send = async (sent: InvalidationMessage) => {
    expect(sent).toBe(message)
    attempts.push(Date.now() - start)
    if (attempts.length <= failures) throw new Error('unreachable')
  }
  return { send, attempts }
}

describe('Redeliveries', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sends again with doubling delays until delivered', async () => {
    const { send, attempts } = flakySend(3)
    const redeliveries = new Redeliveries({ clock, send })
    redeliveries.add(message, clock.now() + 60_000)
    expect(redeliveries.stats).toEqual({ redelivered: 0, undelivered: 1, abandoned: 0 })
    await vi.advanceTimersByTimeAsync(10_000)
    expect(attempts).toEqual([100, 300, 700, 1500])
    expect(redeliveries.stats).toEqual({ redelivered: 1, undelivered: 0, abandoned: 0 })
  })

  it('caps the delay', async () => {
    const { send, attempts } = flakySend(Number.POSITIVE_INFINITY)
    const redeliveries = new Redeliveries({ clock, send, firstDelay: 1000, maxDelay: 3000 })
    redeliveries.add(message, clock.now() + 60_000)
    await vi.advanceTimersByTimeAsync(15_000)
    expect(attempts).toEqual([1000, 3000, 6000, 9000, 12000, 15000])
    await redeliveries.stop()
  })

  it('gives up at the deadline, when no cache can still hold what the message replaced', async () => {
    const { send, attempts } = flakySend(Number.POSITIVE_INFINITY)
    const redeliveries = new Redeliveries({ clock, send })
    redeliveries.add(message, clock.now() + 1000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(attempts).toEqual([100, 300, 700])
    expect(redeliveries.stats).toEqual({ redelivered: 0, undelivered: 0, abandoned: 1 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stops a pass at the first failure, and sends everything pending once one gets through', async () => {
    let reachable = false
    const sent: InvalidationMessage[] = []
    let failures = 0
    const redeliveries = new Redeliveries({
      clock,
      send: async (m) => {
        if (!reachable) {
          failures++
          throw new Error('unreachable')
        }
        sent.push(m)
      },
    })
    const messages = [{ tokens: ['a'] }, { tokens: ['b'] }, { user: { id: 'u', version: 2 } }]
    for (const m of messages) redeliveries.add(m, clock.now() + 60_000)
    await vi.advanceTimersByTimeAsync(700)
    expect(failures).toBe(3)
    reachable = true
    await vi.advanceTimersByTimeAsync(800)
    expect(sent).toEqual(messages)
    expect(redeliveries.stats).toEqual({ redelivered: 3, undelivered: 0, abandoned: 0 })
    // The backoff starts over for the next failure.
    reachable = false
    redeliveries.add({ tokens: ['c'] }, clock.now() + 60_000)
    await vi.advanceTimersByTimeAsync(100)
    expect(failures).toBe(4)
  })

  it('retries on its timers even when the clock stands still; only deadlines read the clock', async () => {
    const { send, attempts } = flakySend(2)
    const redeliveries = new Redeliveries({ clock: { now: () => 5 }, send })
    redeliveries.add(message, 6)
    await vi.advanceTimersByTimeAsync(1000)
    expect(attempts).toEqual([100, 300, 700])
    expect(redeliveries.stats.redelivered).toBe(1)
  })

  it('ignores a message whose deadline has passed already', () => {
    const redeliveries = new Redeliveries({ clock, send: async () => {} })
    redeliveries.add(message, clock.now())
    expect(redeliveries.stats.undelivered).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stop() waits for an attempt under way, then makes none', async () => {
    let release = () => {}
    let attempts = 0
    const redeliveries = new Redeliveries({
      clock,
      send: () => {
        attempts++
        return new Promise<void>((_, reject) => {
          release = () => reject(new Error('unreachable'))
        })
      },
    })
    redeliveries.add(message, clock.now() + 60_000)
    await vi.advanceTimersByTimeAsync(100)
    expect(attempts).toBe(1)
    let stopped = false
    const stopping = redeliveries.stop().then(() => {
      stopped = true
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(stopped).toBe(false)
    release()
    await stopping
    // After stop(), a message is only counted.
    redeliveries.add({ tokens: ['t2'] }, clock.now() + 60_000)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(attempts).toBe(1)
    expect(redeliveries.stats.undelivered).toBe(2)
    expect(vi.getTimerCount()).toBe(0)
  })
})
