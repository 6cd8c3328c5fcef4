import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { redisCache } from './redis.js'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { testRedis } from './testing/services.js'

const redis = await testRedis()

describe.skipIf(redis === null)('the shared level (real Redis)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-shared-level-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a shared hit does not wait for the SQL store to open, when the shared cache has its own key', async () => {
    const key = randomBytes(32)
    const keyPrefix = redis?.prefix() ?? ''
    const shared = () => redisCache({ url: redis?.url ?? '' }, { key, keyPrefix })
    const store = sqliteStore({ path: join(dir, 'a.db') })
    await store.migrate()
    const options = { tokenPrefix: 'myapp', hasher: sha256Hasher(), logger: { warn: () => {} } }
    const a = createKeyward({ ...options, store, sharedCache: shared() })
    const { token } = await a.tokens.create({ userId: 'u1', name: 'n' })
    expect((await a.authenticate(`Bearer ${token}`)).ok).toBe(true)
    await a.flush()
    await a.close()

    // Another process whose store is still opening (a slow database): the shared level answers.
    let open: (store: KeywardStore) => void = () => {}
    const opening = new Promise<KeywardStore>((resolve) => {
      open = resolve
    })
    const b = createKeyward({ ...options, store: opening, sharedCache: shared() })
    expect(await b.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true, principal: { userId: 'u1' } })
    expect(b.stats()).toMatchObject({ storeReads: 0, hashVerifications: 0, sharedCache: { hits: 1 } })
    const later = sqliteStore({ path: join(dir, 'a.db') })
    open(later)
    await b.close()
  })
})
