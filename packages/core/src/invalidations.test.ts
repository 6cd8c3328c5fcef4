import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isKeywardError } from './errors.js'
import { Invalidations } from './invalidations.js'
import { Lifecycle } from './lifecycle.js'
import type { InvalidationBus, InvalidationMessage } from './shared-cache.js'
import { SharedLevel } from './shared-level.js'
import { DeploymentKey } from './shared-trust.js'

// Fake timers move Date.now() too, so the clock and redelivery's timers advance together.
const clock = { now: () => Date.now() }

/** One in-memory channel that every process's bus publishes to and listens on. */
function memoryChannel() {
  const listeners = new Set<{ onMessage: (m: InvalidationMessage) => void; onGap: () => void }>()
  const channel = {
    down: false,
    bus(): InvalidationBus {
      return {
        async publish(message) {
          if (channel.down) throw new Error('channel down')
          for (const listener of listeners) listener.onMessage(structuredClone(message))
        },
        async subscribe(onMessage, onGap) {
          listeners.add({ onMessage, onGap })
        },
        async close() {},
      }
    },
    /** A reconnection: every listener may have missed messages. */
    gap() {
      for (const listener of listeners) listener.onGap()
    },
  }
  return channel
}

/** One process's invalidation part, with what it drops recorded. */
function processOn(channel: ReturnType<typeof memoryChannel>, key: Uint8Array) {
  const warnings: string[] = []
  const logger = { warn: (message: string) => warnings.push(message) }
  const deploymentKey = new DeploymentKey(async () => key)
  const dropped: string[][] = []
  const invalidations = new Invalidations({
    clock,
    logger,
    lifecycle: new Lifecycle(),
    deploymentKey,
    shared: new SharedLevel({ deploymentKey, clock, logger }),
    invalidate: (ids) => dropped.push([...ids]),
    heartbeat: null,
    bounds: { cacheTtl: 5_000, sharedTtl: 600_000, versionTtl: 60_000 },
  })
  const versions: Array<[string, number]> = []
  let everything = 0
  invalidations.versionSeen.on((userId, version) => versions.push([userId, version]))
  invalidations.everythingDropped.on(() => {
    everything++
  })
  invalidations.start(channel.bus())
  return { invalidations, dropped, versions, warnings, everythingDropped: () => everything }
}

describe('Invalidations, on an in-memory channel', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('drops the tokens here at once and on every other process by a signed message', async () => {
    const channel = memoryChannel()
    const key = randomBytes(32)
    const a = processOn(channel, key)
    const b = processOn(channel, key)
    await vi.advanceTimersByTimeAsync(0)
    await a.invalidations.propagate({ tokens: ['t1', 't2'] }, 'The revocation')
    expect(a.dropped[0]).toEqual(['t1', 't2'])
    expect(b.dropped).toContainEqual(['t1', 't2'])
    expect(a.invalidations.stats).toMatchObject({ published: 1, subscribed: true })
    expect(b.invalidations.stats).toMatchObject({ received: 1, forged: 0 })
  })

  it('announces a session bump as versionSeen, and does not drop tokens for it', async () => {
    const channel = memoryChannel()
    const key = randomBytes(32)
    const a = processOn(channel, key)
    const b = processOn(channel, key)
    await vi.advanceTimersByTimeAsync(0)
    await a.invalidations.propagate({ user: { id: 'u1', version: 3 } }, 'The session bump')
    expect(b.versions).toEqual([['u1', 3]])
    expect(b.dropped).toEqual([])
  })

  it('drops messages signed under another key, counting them as forged', async () => {
    const channel = memoryChannel()
    const a = processOn(channel, randomBytes(32))
    const b = processOn(channel, randomBytes(32))
    await vi.advanceTimersByTimeAsync(0)
    await a.invalidations.propagate({ tokens: ['t1'] }, 'The revocation')
    expect(b.dropped).toEqual([])
    expect(b.invalidations.stats.forged).toBe(1)
  })

  it('after a gap, announces everythingDropped and counts it', async () => {
    const channel = memoryChannel()
    const a = processOn(channel, randomBytes(32))
    await vi.advanceTimersByTimeAsync(0)
    channel.gap()
    expect(a.everythingDropped()).toBe(1)
    expect(a.invalidations.stats.gaps).toBe(1)
  })

  it('an undelivered invalidation throws invalidation_unconfirmed naming the bound, and is sent again until it gets through', async () => {
    const channel = memoryChannel()
    const key = randomBytes(32)
    const a = processOn(channel, key)
    const b = processOn(channel, key)
    await vi.advanceTimersByTimeAsync(0)
    channel.down = true
    const error = await a.invalidations.propagate({ tokens: ['t1'] }, 'The revocation').catch((e) => e)
    expect(isKeywardError(error) && error.code).toBe('invalidation_unconfirmed')
    expect(String(error.message)).toMatch(/within 5000 ms/)
    // Dropped here at once, whatever the channel does.
    expect(a.dropped).toEqual([['t1']])
    expect(a.invalidations.redeliveryStats).toMatchObject({ undelivered: 1 })
    channel.down = false
    await vi.advanceTimersByTimeAsync(1_000)
    expect(a.invalidations.redeliveryStats).toMatchObject({ undelivered: 0, redelivered: 1 })
    expect(b.dropped).toEqual([['t1']])
    await a.invalidations.stopRedelivery()
  })

  it('a session bump that cannot be delivered is bounded by the version cache TTL', async () => {
    const channel = memoryChannel()
    const a = processOn(channel, randomBytes(32))
    await vi.advanceTimersByTimeAsync(0)
    channel.down = true
    const error = await a.invalidations
      .propagate({ user: { id: 'u1', version: 1 } }, 'The bump')
      .catch((e) => e)
    expect(String(error.message)).toMatch(/within 60000 ms/)
    await a.invalidations.stopRedelivery()
    expect(a.warnings.some((w) => /not delivered to other processes/.test(w))).toBe(true)
  })

  it('caps entries cached while the bus is not listening yet, and not once it is', async () => {
    const channel = memoryChannel()
    const a = processOn(channel, randomBytes(32))
    const far = Date.now() + 3_600_000
    expect(a.invalidations.entryLimit(far)).toBe(Date.now() + 5_000)
    await vi.advanceTimersByTimeAsync(0)
    expect(a.invalidations.entryLimit(far)).toBe(far)
  })
})
