import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import {
  INVALIDATION_IDS_PER_MESSAGE,
  type InvalidationBus,
  type InvalidationMessage,
} from './shared-cache.js'
import { eventually, sqliteBackend } from './testing/backends.js'

const backend = sqliteBackend()

/** A bus that records what it delivered and fails the publish calls named in `failing` (1-based). */
function recordingBus(failing: ReadonlySet<number>) {
  const delivered: InvalidationMessage[] = []
  let calls = 0
  const bus: InvalidationBus = {
    async publish(message) {
      calls++
      if (failing.has(calls)) throw new Error(`publish ${calls} lost`)
      delivered.push(JSON.parse(JSON.stringify(message)) as InvalidationMessage)
    },
    async subscribe() {},
    async close() {},
  }
  return { bus, delivered, calls: () => calls }
}

describe('a bulk invalidation goes out in parts', () => {
  it('after a failure part-way, only the parts not delivered are sent again, each id exactly once', async () => {
    const { store } = await backend.create()
    const ids = Array.from(
      { length: 5 * INVALIDATION_IDS_PER_MESSAGE },
      (_, i) => `id${String(i).padStart(6, '0')}`,
    )
    for (const id of ids) {
      await store.insertToken({
        id,
        userId: 'u',
        name: 'bulk',
        prefix: `kw_${id.slice(0, 4)}`,
        secretHash: 'sha256:unused',
        scopes: [],
        expiresAt: null,
        lastUsedAt: null,
        createdAt: 1,
        revokedAt: null,
        revokedReason: null,
        description: null,
        metadata: null,
      })
    }
    // The third part is lost once: parts 1 and 2 got through, 3 to 5 were not tried.
    const recording = recordingBus(new Set([3]))
    const kw = createKeyward({
      store: { ...store, bus: recording.bus },
      hasher: sha256Hasher(),
      logger: { warn: () => {} },
    })
    await expect(kw.tokens.revokeAll('u')).rejects.toMatchObject({ code: 'invalidation_unconfirmed' })
    expect(recording.calls()).toBe(3)
    expect(kw.stats().invalidations.undelivered).toBe(3)

    await eventually(() => kw.stats().invalidations.undelivered === 0, 5000)
    expect(kw.stats().invalidations).toMatchObject({ redelivered: 3, abandoned: 0 })
    // One failed call, then five deliveries in all: nothing delivered was sent twice.
    expect(recording.calls()).toBe(6)
    const sent = recording.delivered.flatMap((message) => message.tokens ?? [])
    expect(sent).toHaveLength(ids.length)
    expect(new Set(sent)).toEqual(new Set(ids))
    for (const message of recording.delivered)
      expect(message.tokens?.length).toBeLessThanOrEqual(INVALIDATION_IDS_PER_MESSAGE)
    await kw.close()
  })
})
