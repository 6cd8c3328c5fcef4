import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import type { InvalidationBus } from './shared-cache.js'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'

/** A SQLite store whose bus counts subscriptions, and which counts its closes. */
function countingStore() {
  const inner = sqliteStore({ path: ':memory:', notify: false })
  const counts = { subscribed: 0, closed: 0 }
  const bus: InvalidationBus = {
    publish: async () => {},
    subscribe: async () => {
      counts.subscribed++
    },
    close: async () => {},
  }
  const store: KeywardStore = {
    ...inner,
    bus,
    close: async () => {
      counts.closed++
      await inner.close()
    },
  }
  return { store, counts }
}

describe('close() of an instance whose given store was never used', () => {
  it('closes the store without opening it: no bus is started after the instance closed', async () => {
    const { store, counts } = countingStore()
    const kw = createKeyward({ store, hasher: sha256Hasher(), logger: { warn: () => {} } })
    await kw.close()
    expect(counts).toEqual({ subscribed: 0, closed: 1 })
  })

  it('a store that was used is closed once, as before', async () => {
    const { store, counts } = countingStore()
    await store.migrate()
    const kw = createKeyward({ store, hasher: sha256Hasher(), logger: { warn: () => {} } })
    await kw.tokens.list('someone')
    await kw.close()
    expect(counts.closed).toBe(1)
  })
})
