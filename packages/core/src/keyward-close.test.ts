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

describe('close() of an instance whose store never opened', () => {
  it('resolves: a store promise that rejected left nothing to close', async () => {
    const kw = createKeyward({
      store: Promise.reject(new Error('no such database')),
      hasher: sha256Hasher(),
      logger: { warn: () => {} },
    })
    await expect(kw.tokens.list('someone')).rejects.toMatchObject({ code: 'store_error' })
    await expect(kw.close()).resolves.toBeUndefined()
    const never = createKeyward({ store: Promise.reject(new Error('no driver')), logger: { warn: () => {} } })
    await expect(never.close()).resolves.toBeUndefined()
  })
})

describe('close() while the store does not answer a last-used write', () => {
  it('gives up on the write after the store timeout, keeps it counted as pending, and closes', async () => {
    const inner = sqliteStore({ path: ':memory:', notify: false })
    await inner.migrate()
    // A write sent down a connection that went silent: it never settles.
    const store: KeywardStore = { ...inner, touchTokens: () => new Promise<number>(() => {}) }
    const warnings: string[] = []
    const kw = createKeyward({
      store,
      hasher: sha256Hasher(),
      storeTimeout: '200ms',
      lastUsed: { flushInterval: '1m' },
      logger: { warn: (message) => warnings.push(message) },
    })
    const { token } = await kw.tokens.create({ userId: 'u', name: 't' })
    expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
    const closed = kw.close().then(() => 'closed')
    const late = new Promise((resolve) => setTimeout(resolve, 3000, 'still waiting'))
    expect(await Promise.race([closed, late])).toBe('closed')
    expect(warnings.some((line) => line.includes('last-used'))).toBe(true)
  })
})
