import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createKeyward } from './keyward.js'
import { DELIVERY_ALLOWANCE_MS, describePropagation } from './propagation.js'
import { redisCache } from './redis.js'
import { sqliteStore } from './sqlite.js'
import { eventually, postgresBackend } from './testing/backends.js'
import { scratchInstances } from './testing/scratch.js'
import { testRedis } from './testing/services.js'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./testing/fixtures/sqlite-invalidate.ts', import.meta.url))
const pg = await postgresBackend()
const redis = await testRedis()
const { file, instance } = scratchInstances('propagation')
const bearer = (token: string) => `Bearer ${token}`

describe('describePropagation(): the bound of each channel', () => {
  const settings = { cacheTtl: 600_000, sharedTtl: 900_000, heartbeat: { interval: 15_000, timeout: 10_000 } }
  it('states milliseconds for a pushed channel, the poll interval on SQLite, the cache TTL without one', () => {
    const postgres = describePropagation('postgres', { ...settings, pollInterval: null })
    expect(postgres).toMatchObject({
      channel: 'postgres',
      boundMs: DELIVERY_ALLOWANCE_MS,
      fallbackMs: 600_000,
    })
    expect(postgres.description).toMatch(/LISTEN\/NOTIFY.*within milliseconds.*heartbeat within 25000 ms/)
    expect(describePropagation('redis', { ...settings, pollInterval: null })).toMatchObject({
      boundMs: DELIVERY_ALLOWANCE_MS,
      fallbackMs: 900_000, // an entry left in Redis lives out the shared TTL
    })
    const sqlite = describePropagation('sqlite', { ...settings, pollInterval: 250 })
    expect(sqlite).toMatchObject({ boundMs: 250 + DELIVERY_ALLOWANCE_MS, fallbackMs: 600_000 })
    expect(sqlite.description).toMatch(/every 250 ms/)
    expect(describePropagation('local', { ...settings, pollInterval: null })).toMatchObject({
      boundMs: 0,
      fallbackMs: 0,
    })
    const none = describePropagation('none', { ...settings, pollInterval: null })
    expect(none).toMatchObject({ boundMs: 600_000, fallbackMs: 600_000 })
    expect(none.description).toMatch(/only when their cache entries expire, within 600000 ms/)
    const silent = describePropagation('postgres', { ...settings, heartbeat: null, pollInterval: null })
    expect(silent.description).toMatch(/heartbeat off/)
  })
})

describe('kw.propagation() per store', () => {
  it('SQLite: a file polls (pollInterval), memory has nobody to tell, notify: false has no channel', async () => {
    expect(await instance({ store: sqliteStore({ path: file() }) }).propagation()).toMatchObject({
      channel: 'sqlite',
      boundMs: 250 + DELIVERY_ALLOWANCE_MS,
    })
    const polled = sqliteStore({ path: file(), pollInterval: '100ms' })
    expect((await instance({ store: polled }).propagation()).boundMs).toBe(100 + DELIVERY_ALLOWANCE_MS)
    expect(await instance({ store: sqliteStore({ path: ':memory:' }) }).propagation()).toMatchObject({
      channel: 'local',
      boundMs: 0,
    })
    const none = instance({ store: sqliteStore({ path: file(), notify: false }), cache: { ttl: '30s' } })
    expect(await none.propagation()).toMatchObject({ channel: 'none', boundMs: 30_000, fallbackMs: 30_000 })
  })

  it.skipIf(pg === null)('Postgres: LISTEN/NOTIFY', async () => {
    const created = await pg?.create()
    if (!created) return
    const kw = instance({ store: created.store })
    expect(await kw.propagation()).toMatchObject({ channel: 'postgres', boundMs: DELIVERY_ALLOWANCE_MS })
  })

  it.skipIf(redis === null)('Redis: pub/sub, falling back to the shared TTL', async () => {
    const store = sqliteStore({ path: file() })
    await store.migrate()
    if (!redis) return
    const sharedCache = redisCache({ url: redis.url }, { keyPrefix: redis.prefix() })
    const kw = instance({ store, sharedCache })
    expect(await kw.propagation()).toMatchObject({
      channel: 'redis',
      boundMs: DELIVERY_ALLOWANCE_MS,
      fallbackMs: 600_000,
    })
  })

  it('a store that cannot open is store_error; a closed instance refuses', async () => {
    const failing = instance({ store: Promise.reject(new Error('no such database')) })
    await expect(failing.propagation()).rejects.toMatchObject({
      code: 'store_error',
      message: expect.stringMatching(/no such database/),
    })
    await failing.close()
    const kw = createKeyward({ store: sqliteStore({ path: ':memory:' }), logger: { warn: () => {} } })
    await kw.close()
    await expect(kw.propagation()).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('a revocation reaches a running instance within the bound propagation() states', () => {
  it.skipIf(pg === null)('Postgres: from another instance on the same tables', async () => {
    const created = await pg?.create()
    if (!created) return
    const server = instance({ store: created.store })
    const operator = instance({ store: await created.reopen() })
    const { boundMs } = await operator.propagation()
    await server.tokens.list('nobody') // opens the store, and with it the bus
    await eventually(() => server.stats().invalidations.subscribed, 3000)
    const { token, record } = await operator.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '1d' })
    expect((await server.authenticate(bearer(token))).ok).toBe(true)
    await operator.tokens.revoke(record.id)
    await eventually(async () => !(await server.authenticate(bearer(token))).ok, boundMs)
  })

  it('SQLite: from another process on the same file', async () => {
    const path = file()
    const store = sqliteStore({ path })
    await store.migrate()
    const server = instance({ store })
    const { token, record } = await server.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '1d' })
    expect((await server.authenticate(bearer(token))).ok).toBe(true)
    await eventually(() => server.stats().invalidations.subscribed, 2000).catch(() => {})
    // The bound of the server's own settings: the other process is the CLI, which polls nothing.
    const { boundMs } = await server.propagation()
    await run(process.execPath, ['--import', 'tsx', script, path, 'revoke', record.id])
    await eventually(async () => !(await server.authenticate(bearer(token))).ok, boundMs)
  }, 30_000)
})
