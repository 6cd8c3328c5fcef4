import { afterEach, describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { postgresStore } from './postgres.js'
import { eventually, manualClock, postgresBackend, TEST_DATABASE_URL } from './testing/backends.js'
import { faultProxy } from './testing/services.js'

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
