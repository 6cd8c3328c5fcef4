import { hash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type Keyward } from './keyward.js'
import { postgresStore } from './postgres.js'
import { redisCache } from './redis.js'
import type { InvalidationBus, InvalidationMessage } from './shared-cache.js'
import { DeploymentKey, MAX_MESSAGE_AGE, signedBus } from './shared-trust.js'
import { sqliteStore } from './sqlite.js'
import { eventually, manualClock, postgresBackend, TEST_DATABASE_URL } from './testing/backends.js'
import { testRedis } from './testing/services.js'
import { generateToken } from './token-format.js'

const redis = await testRedis()
const pg = await postgresBackend()
const SECRET = 'shared-trust-suite-session-secret-0123456789'
const bearer = (token: string) => `Bearer ${token}`
const hasher = argon2Hasher({ memoryCost: 1024, timeCost: 1 })

describe.skipIf(redis === null)('what someone who can write to Redis cannot do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-trust-'))
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  /** A deployment: its own SQLite file, on the test Redis under `keyPrefix` (default: Keyward's). */
  async function deployment(keyPrefix?: string): Promise<Keyward> {
    const store = sqliteStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })
    await store.migrate()
    const kw = createKeyward({
      store,
      tokenPrefix: 'myapp',
      hasher,
      sharedCache: redisCache({ url: redis?.url ?? '' }, keyPrefix === undefined ? {} : { keyPrefix }),
      sessions: { secret: SECRET },
      logger: { warn: () => {} },
    })
    closers.push(() => kw.close())
    return kw
  }

  it('refuses a shared cache without a deployment key, and takes an explicit one', async () => {
    const store = sqliteStore({ path: join(dir, 'keyless.db') })
    closers.push(() => store.close())
    const { deploymentKey: _, ...keyless } = store
    const cache = redisCache({ url: redis?.url ?? '' })
    closers.push(() => cache.close())
    expect(() => createKeyward({ store: keyless, sharedCache: cache })).toThrow(
      expect.objectContaining({ code: 'invalid_option', message: expect.stringMatching(/deployment key/) }),
    )
    expect(() => redisCache({ url: redis?.url ?? '' }, { key: 'too short' })).toThrow(/at least 32 bytes/)
    const keyed = redisCache({ url: redis?.url ?? '' }, { key: 'k'.repeat(32) })
    const kw = createKeyward({ store: keyless, sharedCache: keyed, logger: { warn: () => {} } })
    closers.push(() => kw.close())
  })

  it('refuses a forged entry for a made-up id, and asks the store', async () => {
    const prefix = redis?.prefix() ?? ''
    const kw = await deployment(prefix)
    const { token, id } = generateToken('myapp')
    const entry = {
      digest: hash('sha256', bearer(token), 'base64'),
      userId: 'admin',
      scopes: ['*'],
      expiresAt: null,
      validUntil: Date.now() + 600_000,
    }
    await redis?.admin.set(`${prefix}t:${id}`, JSON.stringify(entry))
    await redis?.admin.set(`${prefix}t:${id}`, JSON.stringify({ ...entry, mac: 'A'.repeat(43) }))
    // The first miss may come before the deployment key is known: ask until the shared level is read.
    await kw.tokens.list('nobody')
    await eventually(async () => {
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      return kw.stats().sharedCache.forged > 0
    }, 2000)
    expect(kw.stats()).toMatchObject({ sharedCache: { hits: 0 }, rejections: { unknown: 1 } })
    expect(kw.stats().storeReads).toBeGreaterThan(0)
  })

  it('two deployments on one Redis with the default prefix refuse each other’s tokens', async () => {
    const staging = await deployment()
    const production = await deployment()
    const { token, record } = await staging.tokens.create({ userId: 'admin', name: 'n', scopes: ['*'] })
    closers.push(async () => redis?.admin.del(`keyward:t:${record.id}`, `keyward:g:${record.id}`))
    expect((await staging.authenticate(bearer(token))).ok).toBe(true)
    await staging.flush()
    expect(await redis?.admin.exists(`keyward:t:${record.id}`)).toBe(1)
    await production.tokens.list('nobody')
    await eventually(async () => {
      expect((await production.authenticate(bearer(token))).ok).toBe(false)
      return production.stats().sharedCache.forged > 0
    }, 2000)
    expect(production.stats().sharedCache.hits).toBe(0)
  })

  it('a message that arrives before the store is open does not stall its opening', async () => {
    const prefix = redis?.prefix() ?? ''
    const kw = await deployment(prefix)
    await eventually(() => kw.stats().invalidations.subscribed, 2000)
    // Waiting for the key, the message starts opening the store, which reads the key in turn.
    const at = Date.now()
    await redis?.admin.publish(
      `${prefix}invalidate`,
      JSON.stringify({ tokens: ['x'], at, mac: 'A'.repeat(43) }),
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    const opened = await Promise.race([
      kw.tokens.list('nobody').then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 3000)),
    ])
    expect(opened).toBe(true)
    await eventually(() => kw.stats().invalidations.forged === 1, 2000)
  })

  it('ignores a forged session version in Redis, and reads the store', async () => {
    const prefix = redis?.prefix() ?? ''
    const kw = await deployment(prefix)
    await kw.tokens.list('nobody')
    const session = await kw.sessions.issue({ userId: 'u1' })
    const validUntil = Date.now() + 600_000
    await redis?.admin.set(`${prefix}v:u1`, `${2 ** 53 - 1} ${validUntil} ${'A'.repeat(43)}`)
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    expect(kw.stats().sharedCache.forged).toBe(1)
    expect(kw.stats().sessions.versionReads).toBeGreaterThan(0)
  })

  it('ignores a forged PUBLISH: no logout, no eviction', async () => {
    const prefix = redis?.prefix() ?? ''
    const kw = await deployment(prefix)
    const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'n' })
    const session = await kw.sessions.issue({ userId: 'u1' })
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    await eventually(() => kw.stats().invalidations.subscribed, 2000)
    const misses = kw.stats().cache.misses
    const channel = `${prefix}invalidate`
    await redis?.admin.publish(channel, JSON.stringify({ user: { id: 'u1', version: 2 ** 53 - 1 } }))
    await redis?.admin.publish(channel, JSON.stringify({ tokens: [record.id] }))
    await redis?.admin.publish(
      channel,
      JSON.stringify({ tokens: [record.id], at: Date.now(), mac: 'A'.repeat(43) }),
    )
    await eventually(
      () => kw.stats().invalidations.received + (kw.stats().invalidations.forged ?? 0) >= 3,
      2000,
    )
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    expect(kw.check(bearer(token))).toMatchObject({ ok: true })
    expect(kw.stats().cache.misses).toBe(misses)
    expect(kw.stats().invalidations.forged).toBe(3)
  })
})

describe('signed messages', () => {
  /** A bus in memory: what is published is delivered to every subscriber, as Redis would. */
  function memoryBus() {
    const listeners: Array<(m: InvalidationMessage) => void> = []
    const bus: InvalidationBus = {
      publish: async (m) => {
        const copy = JSON.parse(JSON.stringify(m)) as InvalidationMessage
        for (const listener of listeners) listener(copy)
      },
      subscribe: async (onMessage) => {
        listeners.push(onMessage)
      },
      close: async () => {},
    }
    return bus
  }

  it('delivers what the same key signed once; drops another key’s, a tampered one and a replay; delivers one far off the clock and reports it', async () => {
    const clock = manualClock()
    const raw = memoryBus()
    const seen = { forged: 0, replayed: 0, stale: [] as number[] }
    const events = {
      forged: () => {
        seen.forged++
      },
      replayed: () => {
        seen.replayed++
      },
      stale: (skew: number) => {
        seen.stale.push(skew)
      },
    }
    const quiet = { forged: () => {}, replayed: () => {}, stale: () => {} }
    const keyOne = () => new DeploymentKey(async () => new Uint8Array(32).fill(1))
    const ours = signedBus(raw, keyOne(), clock, events)
    const theirs = signedBus(raw, new DeploymentKey(async () => new Uint8Array(32).fill(2)), clock, quiet)
    const received: InvalidationMessage[] = []
    let gaps = 0
    await ours.subscribe(
      (m) => received.push(m),
      () => gaps++,
    )
    await ours.publish({ tokens: ['a'] })
    await eventually(() => received.length === 1, 500)
    expect(received[0]).toMatchObject({ tokens: ['a'] })
    await theirs.publish({ user: { id: 'u', version: 9 } })
    // A message captured on the wire, replayed 61 s later, and one altered with a fresh stamp.
    const captured: InvalidationMessage[] = []
    const spy = signedBus({ ...raw, publish: async (m) => void captured.push(m) }, keyOne(), clock, quiet)
    await spy.publish({ tokens: ['b'] })
    const [old] = captured as [InvalidationMessage]
    clock.advance(MAX_MESSAGE_AGE + 1)
    await raw.publish({ ...old, at: clock.now(), tokens: ['c'] })
    await eventually(() => seen.forged === 2, 500)
    // Authentic and first seen: delivered (it only drops what it names), its skew reported.
    await raw.publish(old)
    await eventually(() => received.length === 2, 500)
    expect(received[1]).toMatchObject({ tokens: ['b'] })
    expect(seen.stale).toEqual([MAX_MESSAGE_AGE + 1])
    // The same message again, and the first one again: replays, dropped.
    await raw.publish(old)
    await raw.publish(JSON.parse(JSON.stringify({ ...received[0] })) as InvalidationMessage)
    await eventually(() => seen.replayed === 2, 500)
    expect(received).toHaveLength(2)
    expect(seen.forged).toBe(2)
    expect(gaps).toBe(0)
  })
})

describe.skipIf(pg === null)('what a role that can NOTIFY cannot do', () => {
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()))
  })

  it('ignores a forged NOTIFY: no logout, no eviction', async () => {
    const backend = (await pg?.create()) ?? null
    if (backend === null || !backend.location) throw new Error('no Postgres')
    const { schema, tablePrefix } = backend.location
    const store = postgresStore({ url: TEST_DATABASE_URL, schema, tablePrefix })
    const kw = createKeyward({ store, tokenPrefix: 'myapp', hasher, sessions: { secret: SECRET } })
    closers.push(() => kw.close())
    const { token, record } = await kw.tokens.create({ userId: 'u1', name: 'n' })
    const session = await kw.sessions.issue({ userId: 'u1' })
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    await eventually(() => kw.stats().invalidations.subscribed, 2000)
    const misses = kw.stats().cache.misses
    const channel = `keyward_${schema}_${tablePrefix}inval`.slice(0, 63)
    const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
    closers.push(() => sql.end({ timeout: 1 }))
    await sql.notify(channel, JSON.stringify({ user: { id: 'u1', version: 2 ** 53 - 1 } }))
    await sql.notify(channel, JSON.stringify({ tokens: [record.id] }))
    await eventually(
      () => kw.stats().invalidations.received + (kw.stats().invalidations.forged ?? 0) >= 2,
      2000,
    )
    expect((await kw.authenticate(bearer(session.token))).ok).toBe(true)
    expect(kw.check(bearer(token))).toMatchObject({ ok: true })
    expect(kw.stats().cache.misses).toBe(misses)
    expect(kw.stats().invalidations.forged).toBe(2)
  })
})
