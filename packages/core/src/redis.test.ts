import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import type { Clock } from './clock.js'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { redisCache } from './redis.js'
import type { InvalidationMessage } from './shared-cache.js'
import { sqliteStore } from './sqlite.js'
import { manualClock } from './testing/backends.js'
import { faultProxy, testRedis } from './testing/services.js'
import { checksum, generateToken } from './token-format.js'

const redis = await testRedis()
const SECRET = 'redis-suite-session-secret-0123456789'
const bearer = (token: string) => `Bearer ${token}`

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < withinMs) {
    if (await check()) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  throw new Error(`not within ${withinMs} ms`)
}

describe.skipIf(redis === null)('redisCache on the real Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-redis-'))
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** A fault proxy in front of the test Redis, closed after the case. */
  async function redisProxy(slowMs?: number) {
    const proxy = await faultProxy(
      {
        host: '127.0.0.1',
        port: Number(new URL(redis?.url ?? '').port || 6379),
      },
      slowMs,
    )
    closers.push(() => proxy.close())
    return proxy
  }

  /** Two "processes": separate instances on one store file and one Redis prefix. */
  async function pair(
    options: {
      redisUrl?: string
      /** For `a` only: `b` still talks to Redis directly. */
      redisUrlOfA?: string
      clock?: Clock
      cache?: KeywardOptions['cache']
    } = {},
  ) {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`)
    const prefix = redis?.prefix() ?? ''
    const warnings: string[] = []
    const make = async (redisUrl = options.redisUrl ?? redis?.url ?? '') => {
      const store = sqliteStore({ path })
      await store.migrate()
      const kw = createKeyward({
        store,
        tokenPrefix: 'myapp',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        sharedCache: redisCache({ url: redisUrl }, { keyPrefix: prefix }),
        sessions: { secret: SECRET },
        logger: { warn: (m) => warnings.push(m) },
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.cache ? { cache: options.cache } : {}),
      })
      closers.push(() => kw.close())
      return kw
    }
    const a = await make(options.redisUrlOfA)
    const b = await make()
    // Let both subscriptions settle.
    await eventually(async () => a.stats().invalidations.gaps === 0, 50)
    await new Promise((resolve) => setTimeout(resolve, 50))
    return { a, b, prefix, warnings, path }
  }

  it('keeps entries fenced by a generation, malformed entries as misses, versions only growing', async () => {
    const prefix = redis?.prefix() ?? ''
    const cache = redisCache({ url: redis?.url ?? '' }, { keyPrefix: prefix })
    closers.push(() => cache.close())
    const entry = {
      digest: Buffer.alloc(32, 1).toString('base64'),
      userId: 'u',
      scopes: ['a'],
      expiresAt: null,
      validUntil: Date.now() + 60_000,
    }
    // Reading creates nothing; without a generation nothing is written.
    expect(await cache.readToken('t1')).toEqual({ entry: null, generation: '' })
    expect(await redis?.admin.exists(`${prefix}g:t1`)).toBe(0)
    expect(await cache.writeToken('t1', entry, '', 60_000)).toBe(false)
    const created = await cache.createGeneration('t1')
    expect(await cache.createGeneration('t1')).toBe(created)
    const first = await cache.readToken('t1')
    expect(first).toEqual({ entry: null, generation: created })
    expect(await cache.writeToken('t1', entry, first.generation, 60_000)).toBe(true)
    expect((await cache.readToken('t1')).entry).toEqual(entry)
    await cache.invalidateTokens(['t1'])
    const second = await cache.readToken('t1')
    expect(second.entry).toBeNull()
    expect(second.generation).not.toBe(first.generation)
    expect(await cache.writeToken('t1', entry, first.generation, 60_000)).toBe(false)
    await redis?.admin.set(`${prefix}t:t2`, JSON.stringify({ ...entry, digest: 42 }))
    expect((await cache.readToken('t2')).entry).toBeNull()
    await cache.writeVersion('u', { version: 3, validUntil: 10, mac: 'm3' }, 60_000)
    await cache.writeVersion('u', { version: 2, validUntil: 20, mac: 'm2' }, 60_000)
    expect(await cache.readVersion('u')).toEqual({ version: 3, validUntil: 10, mac: 'm3' })
    await cache.writeVersion('u', { version: 3, validUntil: 30, mac: 'm3b' }, 60_000)
    expect(await cache.readVersion('u')).toEqual({ version: 3, validUntil: 30, mac: 'm3b' })
    const received: InvalidationMessage[] = []
    await cache.bus.subscribe(
      (m) => received.push(m),
      () => {},
    )
    await cache.bus.publish({ tokens: ['x'], user: { id: 'u', version: 4 } })
    await eventually(async () => received.length === 1, 1000)
    expect(received[0]).toEqual({ tokens: ['x'], user: { id: 'u', version: 4 } })
  })

  it('a generation flushed or evicted between a fill’s read and its write refuses the write', async () => {
    const prefix = redis?.prefix() ?? ''
    const cache = redisCache({ url: redis?.url ?? '' }, { keyPrefix: prefix })
    closers.push(() => cache.close())
    const entry = {
      digest: Buffer.alloc(32, 2).toString('base64'),
      userId: 'u',
      scopes: ['*'],
      expiresAt: null,
      validUntil: Date.now() + 60_000,
    }
    // A fill has the token's generation (before its store read), a revoke runs, then the key disappears.
    const generation = await cache.createGeneration('t1')
    await cache.invalidateTokens(['t1'])
    await redis?.admin.del(`${prefix}g:t1`)
    expect(await cache.writeToken('t1', entry, generation, 60_000)).toBe(false)
    expect(await redis?.admin.exists(`${prefix}t:t1`)).toBe(0)
    // The same without the revoke: a generation gone is never taken for the one read.
    const again = await cache.createGeneration('t2')
    await redis?.admin.del(`${prefix}g:t2`)
    expect(await cache.writeToken('t2', entry, again, 60_000)).toBe(false)
  })

  it('tokens that never verified leave nothing in Redis', async () => {
    const { a, prefix } = await pair()
    const { token } = await a.tokens.create({ userId: 'u1', name: 'real' })
    // Made-up ids with valid checksums: each is a miss that reads Redis and the store.
    for (let i = 0; i < 50; i++) {
      const body = `myapp_${generateToken('myapp').id}_${'s'.repeat(43)}`
      expect((await a.authenticate(bearer(body + checksum(body)))).ok).toBe(false)
    }
    expect(a.stats().rejections.unknown).toBe(50)
    await a.flush()
    expect(await redis?.admin.keys(`${prefix}*`)).toEqual([])
    // The real token, once verified, has its generation and its entry.
    expect((await a.authenticate(bearer(token))).ok).toBe(true)
    await a.flush()
    expect(
      (await redis?.admin.keys(`${prefix}*`))
        ?.sort()
        .map((key) => key.slice(prefix.length, prefix.length + 2)),
    ).toEqual(['g:', 't:'])
  })

  it('a first fill confirms with the store: a revoke that landed before the generation existed is not undone', async () => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`)
    const prefix = redis?.prefix() ?? ''
    const store = sqliteStore({ path })
    await store.migrate()
    const raw = redisCache({ url: redis?.url ?? '' }, { keyPrefix: prefix })
    // The revoke commits (and tells Redis, where there is no generation yet to bump) between the
    // verification and the fill's creating the generation.
    const racing = {
      ...raw,
      bus: raw.bus,
      async createGeneration(id: string) {
        await store.revokeToken(id, { revokedAt: Date.now(), reason: null })
        await raw.invalidateTokens([id])
        await redis?.admin.del(`${prefix}g:${id}`)
        return raw.createGeneration(id)
      },
    }
    const kw = createKeyward({
      store,
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      sharedCache: racing,
      logger: { warn: () => {} },
    })
    closers.push(() => kw.close())
    const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'n' })
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    await kw.flush()
    expect(kw.stats().sharedCache.writes).toBe(0)
    expect(await redis?.admin.exists(`${prefix}t:${record.id}`)).toBe(0)
  })

  it('a token verified on one process is a shared hit on another: no store read, no hash', async () => {
    const { a, b, prefix } = await pair()
    const { token, record } = await a.tokens.create({
      userId: 'u1',
      name: 'n',
      expiresAt: new Date(Date.now() + 1500),
    })
    expect((await a.authenticate(bearer(token))).ok).toBe(true)
    await a.flush()
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    expect(b.stats()).toMatchObject({ storeReads: 0, hashVerifications: 0, sharedCache: { hits: 1 } })
    const raw = (await redis?.admin.get(`${prefix}t:${record.id}`)) ?? ''
    expect(raw).not.toContain(token.slice(-49, -6))
    expect(raw).not.toContain(token)
    const ttl = (await redis?.admin.pttl(`${prefix}t:${record.id}`)) ?? 0
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(1500)
  })

  it('renews a token in use from its shared entry before the in-process one expires: no store read', async () => {
    const clock = manualClock()
    const { a, b } = await pair({ clock })
    const { token } = await a.tokens.create({ userId: 'u1', name: 'n' })
    expect((await a.authenticate(bearer(token))).ok).toBe(true)
    await a.flush()
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    // In-process TTL 5 s with a shared level: a hit in its last second asks for a refresh.
    clock.advance(4_500)
    expect(b.check(bearer(token))).toMatchObject({ ok: true })
    await b.flush()
    expect(b.stats()).toMatchObject({
      storeReads: 0,
      hashVerifications: 0,
      cache: { refreshes: 1, renewed: 1, misses: 1 },
      sharedCache: { hits: 2 },
    })
    clock.advance(4_000)
    expect(b.check(bearer(token))).toMatchObject({ ok: true })
    expect(b.stats().cache.misses).toBe(1)
  })

  it('renews from the store a token whose shared entry is about to end, and refills that entry', async () => {
    const clock = manualClock()
    const { a, b } = await pair({ clock, cache: { ttl: '5s', sharedTtl: '6s' } })
    const { token } = await a.tokens.create({ userId: 'u1', name: 'n' })
    expect((await a.authenticate(bearer(token))).ok).toBe(true)
    await a.flush()
    clock.advance(4_500)
    expect(a.check(bearer(token))).toMatchObject({ ok: true })
    await a.flush()
    // Reads: the miss, the first fill's confirmation (the token had no generation yet), the renewal.
    expect(a.stats()).toMatchObject({
      storeReads: 3,
      hashVerifications: 1,
      cache: { refreshes: 1, renewed: 1 },
      sharedCache: { writes: 2 },
    })
    // Past the first shared entry's end, the other process still finds the refilled one.
    clock.advance(3_000)
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    expect(b.stats()).toMatchObject({ storeReads: 0, hashVerifications: 0, sharedCache: { hits: 1 } })
  })

  it('revoke and bump on one process reach the other within 100 ms', async () => {
    const { a, b } = await pair()
    const { token, record } = await a.tokens.create({ userId: 'u1', name: 'n' })
    const session = await a.sessions.issue({ userId: 'u1' })
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    expect((await b.authenticate(bearer(session.token))).ok).toBe(true)
    await a.tokens.revoke(record.id)
    const revokeMs = await eventually(async () => !(await b.authenticate(bearer(token))).ok, 100)
    await a.sessions.bump('u1')
    const bumpMs = await eventually(async () => !(await b.authenticate(bearer(session.token))).ok, 100)
    console.info(
      `redis: revoke seen by the other instance after ${revokeMs.toFixed(1)} ms, bump after ${bumpMs.toFixed(1)} ms`,
    )
  })

  it('FLUSHALL in the middle of a run changes no answer', async () => {
    const { a, b } = await pair()
    const good = await a.tokens.create({ userId: 'u1', name: 'good' })
    const gone = await a.tokens.create({ userId: 'u1', name: 'gone' })
    const session = await a.sessions.issue({ userId: 'u1' })
    const answers = async () =>
      Promise.all(
        [a, b].flatMap((kw) =>
          [good.token, gone.token, session.token].map(async (t) => (await kw.authenticate(bearer(t))).ok),
        ),
      )
    await a.tokens.revoke(gone.record.id)
    await eventually(async () => !(await b.authenticate(bearer(gone.token))).ok, 100)
    const before = await answers()
    await redis?.admin.flushall()
    expect(await answers()).toEqual(before)
    expect(before).toEqual([true, false, true, true, false, true])
  })

  it('with Redis down: carries on through the in-process cache and the store, warns once, never fails open', async () => {
    const proxy = await redisProxy()
    const { a, warnings } = await pair({ redisUrl: `redis://127.0.0.1:${proxy.port}` })
    const cached = await a.tokens.create({ userId: 'u1', name: 'cached' })
    const cold = await a.tokens.create({ userId: 'u1', name: 'cold' })
    expect((await a.authenticate(bearer(cached.token))).ok).toBe(true)
    for (const mode of ['blackhole', 'reset'] as const) {
      proxy.set(mode)
      expect((await a.authenticate(bearer(cached.token))).ok).toBe(true)
      expect((await a.authenticate(bearer(cold.token))).ok).toBe(true)
      // Another last character (a fixed 'x' is the real one once in 62 tokens).
      const altered = `${cold.token.slice(0, -1)}${cold.token.endsWith('x') ? 'y' : 'x'}`
      expect((await a.authenticate(bearer(altered))).ok).toBe(false)
    }
    const refused = await a.tokens.revoke(cold.record.id).catch((e: unknown) => e)
    expect(refused).toMatchObject({
      code: 'invalidation_unconfirmed',
      message: expect.stringMatching(/within 600000 ms/),
    })
    expect((await a.tokens.get(cold.record.id))?.status).toBe('revoked')
    expect((await a.authenticate(bearer(cold.token))).ok).toBe(false)
    expect(a.stats().sharedCache.errors).toBeGreaterThan(0)
    expect(warnings.filter((w) => w.startsWith('shared cache unavailable'))).toHaveLength(1)
    proxy.set('pass')
    // A fresh unknown id with a valid checksum goes past every in-process cache to the shared level.
    await eventually(async () => {
      const probe = `myapp_${generateToken('myapp').id}_${'Z'.repeat(43)}`
      expect((await a.authenticate(bearer(probe + checksum(probe)))).ok).toBe(false)
      return !a.stats().sharedCache.down
    }, 5000)
    expect((await a.authenticate(bearer(cold.token))).ok).toBe(false)
  })

  it('an invalidation that could not be sent is sent again once Redis answers, well before the TTL', async () => {
    // 'slow' below delays each of a's commands and its reply by 80 ms: a busy machine's ordering,
    // where `b` sees a message before `a` has read Redis's answer to it.
    const proxy = await redisProxy(80)
    const { a, b } = await pair({ redisUrlOfA: `redis://127.0.0.1:${proxy.port}`, cache: { ttl: '10m' } })
    const kept = await a.tokens.create({ userId: 'u1', name: 'kept' })
    const other = await a.tokens.create({ userId: 'u2', name: 'other' })
    const session = await a.sessions.issue({ userId: 'u3' })
    for (const token of [kept.token, other.token, session.token])
      expect((await b.authenticate(bearer(token))).ok).toBe(true)

    // Only `a` loses Redis, so `b` sees no gap that would make it drop its cache by itself.
    proxy.set('reset')
    const refused = await a.tokens.revokeAll('u1').catch((e: unknown) => e)
    expect(refused).toMatchObject({
      code: 'invalidation_unconfirmed',
      message: expect.stringMatching(/keeps trying.*within 600000 ms/),
    })
    // Called again, revokeAll() finds nothing left to revoke: only the redelivery can tell `b`.
    expect(await a.tokens.revokeAll('u1')).toBe(0)
    // Redis keeps the old session version until its own TTL (10 min), and `b` reads it from there.
    await expect(a.sessions.bump('u3')).rejects.toMatchObject({
      code: 'invalidation_unconfirmed',
      message: expect.stringMatching(/within 600000 ms/),
    })
    expect((await b.authenticate(bearer(kept.token))).ok).toBe(true)
    expect((await b.authenticate(bearer(session.token))).ok).toBe(true)
    expect(a.stats().invalidations).toMatchObject({ undelivered: 2, redelivered: 0 })

    proxy.set('slow')
    await eventually(async () => !(await b.authenticate(bearer(kept.token))).ok, 10_000)
    await eventually(async () => !(await b.authenticate(bearer(session.token))).ok, 10_000)
    // `b` may see a message before `a` has booked its answer: wait for the sender's own count.
    await eventually(async () => a.stats().invalidations.undelivered === 0, 10_000)
    expect(a.stats().invalidations).toMatchObject({ undelivered: 0, redelivered: 2, abandoned: 0 })
    expect(b.stats().invalidations).toMatchObject({ gaps: 0 })
    expect((await b.authenticate(bearer(other.token))).ok).toBe(true)
    const renewed = await a.sessions.issue({ userId: 'u3' })
    expect((await b.authenticate(bearer(renewed.token))).ok).toBe(true)
  })

  it('revokeAll() of 50k tokens reaches the other process, without invalidation_unconfirmed', async () => {
    const { a, b, path } = await pair({ cache: { ttl: '10m' } })
    const { token } = await a.tokens.create({ userId: 'u1', name: 'cached' })
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    // Rows straight into the table: 50k argon2 hashes would take minutes.
    const db = new Database(path)
    db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
      INSERT INTO "keyward_tokens" ("id", "user_id", "name", "prefix", "secret_hash", "scopes", "created_at")
      SELECT printf('bulk%018d', i), 'u1', 'bulk', 'myapp_bulk', '$x', '', 1 FROM n`)
    db.close()
    const started = performance.now()
    expect(await a.tokens.revokeAll('u1')).toBe(50_001)
    console.info(`redis: revokeAll of 50001 tokens took ${(performance.now() - started).toFixed(0)} ms`)
    await eventually(async () => !(await b.authenticate(bearer(token))).ok, 2000)
    expect(a.stats().invalidations).toMatchObject({ errors: 0, undelivered: 0 })
  }, 30_000)

  it('createKeyward() with no options takes KEYWARD_REDIS_URL as its shared level', async () => {
    vi.stubEnv('KEYWARD_DATABASE_URL', join(dir, `${Math.random().toString(36).slice(2)}.db`))
    vi.stubEnv('KEYWARD_REDIS_URL', redis?.url ?? '')
    try {
      const kw = createKeyward()
      closers.push(() => kw.close())
      const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'env' })
      // The default prefix is shared with whatever else uses this Redis: remove this token's keys only.
      closers.push(
        () => redis?.admin.del(`keyward:t:${record.id}`, `keyward:g:${record.id}`) ?? Promise.resolve(),
      )
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      await kw.flush()
      expect(kw.stats().sharedCache).toMatchObject({ misses: 1, writes: 1, errors: 0 })
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('50 requests in flight on a cold cache while revoke() runs: none succeeds after it resolves', async () => {
    const { a } = await pair()
    const { token, record } = await a.tokens.create({ userId: 'u1', name: 'n' })
    let revoked = false
    const lateSuccesses: number[] = []
    const requests = Array.from({ length: 50 }, async (_, i) => {
      const result = await a.authenticate(bearer(token))
      if (revoked && result.ok) lateSuccesses.push(i)
    })
    await a.tokens.revoke(record.id)
    revoked = true
    await Promise.all(requests)
    expect(lateSuccesses).toEqual([])
    expect((await a.authenticate(bearer(token))).ok).toBe(false)
  })
})

export type { Keyward }
