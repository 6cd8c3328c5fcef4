import postgres from 'postgres'
import { afterEach, describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { postgresStore } from './postgres.js'
import type { KeywardStore } from './store.js'
import { eventually, manualClock, postgresBackend, TEST_DATABASE_URL } from './testing/backends.js'
import { faultProxy } from './testing/services.js'
import { generateToken } from './token-format.js'

const pg = await postgresBackend()
const bearer = (token: string) => `Bearer ${token}`

describe.skipIf(pg === null)('Postgres behind a fault proxy', () => {
  const closers: Array<() => Promise<unknown>> = []
  // Last opened, first closed: Keyward ends its connections before the proxy they go through.
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })

  it('misses answer 503, cached tokens 200 until their TTL and not past it, and all is right after recovery', async () => {
    const { schema, tablePrefix } = (await pg?.create())?.location ?? { schema: '', tablePrefix: '' }
    const url = new URL(TEST_DATABASE_URL)
    const proxy = await faultProxy({ host: url.hostname, port: Number(url.port || 5432) })
    closers.push(() => proxy.close())
    url.port = String(proxy.port)
    const store = postgresStore({ url: url.toString(), schema, tablePrefix })
    const clock = manualClock()
    const kw = createKeyward({
      store,
      clock,
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      cache: { ttl: '10s' },
      storeTimeout: 300,
      logger: { warn: () => {} },
    })
    closers.push(() => kw.close().catch(() => {}))
    const cached = await kw.tokens.create({ userId: 'u1', name: 'cached' })
    const cold = await kw.tokens.create({ userId: 'u1', name: 'cold' })
    const revoked = await kw.tokens.create({ userId: 'u1', name: 'revoked' })
    await kw.tokens.revoke(revoked.record.id)
    // Until LISTEN is up, the in-process cache keeps entries for 5 s only: wait, so the TTL below is 10 s.
    await eventually(() => kw.stats().invalidations.subscribed, 10_000)
    expect((await kw.authenticate(bearer(cached.token))).ok).toBe(true)

    for (const mode of ['blackhole', 'reset', 'slow'] as const) {
      proxy.set(mode)
      proxy.dropAll()
      expect(await kw.authenticate(bearer(cold.token))).toMatchObject({
        ok: false,
        error: { code: 'unavailable', status: 503 },
      })
      expect((await kw.authenticate(bearer(cached.token))).ok).toBe(true)
      expect((await kw.authenticate(bearer(revoked.token))).ok).toBe(false)
    }
    clock.advance(9_999)
    expect((await kw.authenticate(bearer(cached.token))).ok).toBe(true)
    clock.advance(1)
    expect(await kw.authenticate(bearer(cached.token))).toMatchObject({
      ok: false,
      error: { code: 'unavailable' },
    })

    proxy.set('pass')
    await eventually(async () => (await kw.authenticate(bearer(cold.token))).ok, 10_000)
    expect((await kw.authenticate(bearer(cached.token))).ok).toBe(true)
    expect(await kw.authenticate(bearer(revoked.token))).toMatchObject({
      ok: false,
      error: { code: 'invalid_token' },
    })
  })
})

/** The store with its token reads counted while they run (until they settle, not until a timeout). */
function countingReads(store: KeywardStore) {
  const reads = { inFlight: 0, peak: 0, started: 0 }
  const counted: KeywardStore = {
    ...store,
    findToken(id, signal) {
      reads.started++
      reads.peak = Math.max(reads.peak, ++reads.inFlight)
      return store.findToken(id, signal).finally(() => reads.inFlight--)
    },
  }
  return { store: counted, reads }
}

const junk = () => bearer(generateToken('myapp').token)

describe.skipIf(pg === null)('Postgres stalled or half-open', () => {
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  const setUp = async (url: string, options: { storeReads?: object } = {}) => {
    const { schema, tablePrefix } = (await pg?.create())?.location ?? { schema: '', tablePrefix: '' }
    const { store, reads } = countingReads(postgresStore({ url, schema, tablePrefix }))
    const warnings: string[] = []
    const kw = createKeyward({
      store,
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      storeTimeout: 200,
      logger: { warn: (line) => warnings.push(line) },
      ...options,
    })
    closers.push(() => kw.close().catch(() => {}))
    return { kw, reads, warnings, table: `"${schema}"."${tablePrefix}tokens"` }
  }

  it('a table lock: misses answer 503 at once, reads in flight stay bounded, one warning, and recovery within a second of the unlock', async () => {
    const { kw, reads, warnings, table } = await setUp(TEST_DATABASE_URL)
    const { token } = await kw.tokens.create({ userId: 'u1', name: 'cold' })
    const locker = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
    closers.push(() => locker.end({ timeout: 1 }))
    let unlock = () => {}
    const locked = new Promise<void>((resolve) => {
      locker
        .begin(async (tx) => {
          await tx.unsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`)
          resolve()
          await new Promise<void>((release) => {
            unlock = release
          })
        })
        .catch(() => {})
    })
    await locked

    const heapBefore = process.memoryUsage().heapUsed
    const startedAt = Date.now()
    for (let round = 0; round < 20; round++) {
      const began = Date.now()
      const answers = await Promise.all(Array.from({ length: 250 }, () => kw.authenticate(junk())))
      for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { status: 503 } })
      // Each round waits at most one store timeout (the first ones), then is refused without I/O.
      expect(Date.now() - began).toBeLessThan(1500)
    }
    expect(Date.now() - startedAt).toBeLessThan(8000)
    expect(reads.peak).toBeLessThanOrEqual(64)
    expect(reads.started).toBeLessThan(5000)
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024)
    // One line for the first failure; the rest are summed up, at most once per interval.
    expect(warnings.length).toBeLessThanOrEqual(2)

    unlock()
    const unlockedAt = Date.now()
    await eventually(async () => (await kw.authenticate(bearer(token))).ok, 5000)
    expect(Date.now() - unlockedAt).toBeLessThan(1500)
    // Every read that timed out was cancelled, not left queued behind the lock.
    await eventually(() => reads.inFlight === 0, 2000)
  })

  it('a half-open connection (packets dropped, no reset) recovers without a restart', async () => {
    const target = new URL(TEST_DATABASE_URL)
    const proxy = await faultProxy({ host: target.hostname, port: Number(target.port || 5432) })
    closers.push(() => proxy.close())
    const url = new URL(TEST_DATABASE_URL)
    url.port = String(proxy.port)
    const { kw, reads } = await setUp(url.toString())
    const { token } = await kw.tokens.create({ userId: 'u1', name: 'cold' })
    // Open several pooled connections, then lose them all.
    await Promise.all(Array.from({ length: 20 }, () => kw.authenticate(junk())))
    proxy.set('half-open')

    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 50 }, () => kw.authenticate(junk())))
      for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { status: 503 } })
    }
    expect(reads.peak).toBeLessThanOrEqual(64)
    await eventually(async () => (await kw.authenticate(bearer(token))).ok, 8000)
    await eventually(() => reads.inFlight === 0, 3000)
  })
})
