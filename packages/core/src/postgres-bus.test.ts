import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { drizzle as drizzleProxy } from 'drizzle-orm/pg-proxy'
import { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js'
import pg from 'pg'
import postgres from 'postgres'
import { afterEach, describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type Keyward, type KeywardOptions } from './keyward.js'
import { type PostgresStoreOptions, postgresStore } from './postgres.js'
import { eventually, postgresBackend, TEST_DATABASE_URL } from './testing/backends.js'
import { faultProxy } from './testing/services.js'

const backend = await postgresBackend()
const bearer = (token: string) => `Bearer ${token}`

describe.skipIf(backend === null)('revocation across instances on every Postgres set-up', () => {
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {})
  })

  /** Where a fresh, migrated set of tables is (the backend drops its schema after the file). */
  async function tables() {
    const created = await backend?.create()
    if (!created?.location) throw new Error('no Postgres')
    return created.location
  }

  function instance(
    store: PostgresStoreOptions,
    warnings: string[] = [],
    extra: Partial<KeywardOptions> = {},
  ) {
    const kw = createKeyward({
      store: postgresStore(store),
      tokenPrefix: 'myapp',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      logger: { warn: (m) => warnings.push(m) },
      ...extra,
    })
    closers.push(() => kw.close())
    return kw
  }

  /** Both instances accept the token; A revokes it; B must refuse it within a second. */
  async function revokeReaches(a: Keyward, b: Keyward) {
    // The store opens on first use; then the bus subscribes (where there is one: do not fail here).
    await Promise.all([a.tokens.list('nobody'), b.tokens.list('nobody')])
    await eventually(
      () => a.stats().invalidations.subscribed && b.stats().invalidations.subscribed,
      3000,
    ).catch(() => {})
    const { token, record } = await a.tokens.create({ userId: 'u1', name: 'ci' })
    expect((await a.authenticate(bearer(token))).ok).toBe(true)
    expect((await b.authenticate(bearer(token))).ok).toBe(true)
    await a.tokens.revoke(record.id)
    expect((await a.authenticate(bearer(token))).ok).toBe(false)
    await eventually(async () => !(await b.authenticate(bearer(token))).ok, 1000)
  }

  function pgPool(url = TEST_DATABASE_URL) {
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    // An idle connection the proxy drops is the app's pool's concern, reported on its 'error'.
    pool.on('error', () => {})
    closers.push(() => pool.end())
    return pool
  }

  it('{ db } on postgres.js: LISTEN on its client', async () => {
    const at = await tables()
    const sqlA = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
    const sqlB = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
    closers.push(
      () => sqlA.end(),
      () => sqlB.end(),
    )
    const a = instance({ db: drizzlePostgresJs(sqlA), ...at })
    const b = instance({ db: drizzlePostgresJs(sqlB), ...at })
    await revokeReaches(a, b)
    expect(b.stats().invalidations.channel).toBe('postgres')
  })

  it('{ db } on node-postgres (a Pool and a Client): one dedicated LISTEN connection', async () => {
    const at = await tables()
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await client.connect()
    closers.push(() => client.end())
    const a = instance({ db: drizzlePg(pgPool()), ...at })
    const b = instance({ db: drizzlePg(client), ...at })
    await revokeReaches(a, b)
    await revokeReaches(b, a)
    expect(a.stats().invalidations.channel).toBe('postgres')
  })

  it('{ db } on node-postgres: after the LISTEN connection drops, reconnects and reports a gap', async () => {
    const at = await tables()
    const url = new URL(TEST_DATABASE_URL)
    const proxy = await faultProxy({ host: url.hostname, port: Number(url.port || 5432) })
    closers.push(() => proxy.close())
    url.port = String(proxy.port)
    const a = instance({ db: drizzlePg(pgPool()), ...at })
    const b = instance({ db: drizzlePg(pgPool(url.toString())), ...at })
    await revokeReaches(a, b)
    proxy.dropAll()
    await eventually(() => b.stats().invalidations.gaps === 1, 5000)
    await revokeReaches(a, b)
  })

  it('{ db } on a driver Keyward cannot listen through: says so, unless given listen: { url }', async () => {
    const at = await tables()
    const pool = pgPool()
    // drizzle's HTTP-style proxy driver: queries only, no connection to LISTEN on.
    const proxied = () =>
      drizzleProxy(async (text, params, method) => {
        if (method === 'all')
          return { rows: (await pool.query({ text, values: params, rowMode: 'array' })).rows }
        const result = await pool.query({ text, values: params, rowMode: 'array' })
        return { rows: result.rows[0] ?? [] }
      })
    const warnings: string[] = []
    const silent = instance({ db: proxied(), ...at }, warnings)
    await silent.tokens.list('nobody')
    expect(silent.stats().invalidations).toMatchObject({ channel: 'none', fallbackBound: 600_000 })
    expect(warnings).toContainEqual(
      expect.stringContaining(
        'revocations reach other processes only when their cache entries expire, within 600000 ms',
      ),
    )

    const a = instance({ db: proxied(), listen: { url: TEST_DATABASE_URL }, ...at })
    const b = instance({ db: proxied(), listen: { url: TEST_DATABASE_URL }, ...at })
    await revokeReaches(a, b)
    expect(b.stats().invalidations.channel).toBe('postgres')
  })

  it('{ client } and notify: false', async () => {
    const at = await tables()
    const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
    closers.push(() => sql.end())
    const a = instance({ client: sql, ...at })
    const b = instance({ url: TEST_DATABASE_URL, ...at })
    await revokeReaches(a, b)
    const warnings: string[] = []
    const off = instance({ url: TEST_DATABASE_URL, notify: false, ...at }, warnings)
    await off.tokens.list('nobody')
    expect(off.stats().invalidations.channel).toBe('none')
    expect(warnings.some((w) => w.includes('within 600000 ms'))).toBe(true)
  })

  /** A LISTEN that goes half-open (a NAT that lost its state) on B; A revokes: B must notice. */
  async function halfOpenListen(
    b: (url: string) => Keyward,
    a: Keyward,
    bWarnings: string[],
    quiet: () => boolean = () => true,
    closeWithin = 3000,
  ) {
    const url = new URL(TEST_DATABASE_URL)
    const proxy = await faultProxy({ host: url.hostname, port: Number(url.port || 5432) })
    closers.push(() => proxy.close())
    url.port = String(proxy.port)
    const kwB = b(url.toString())
    await revokeReaches(a, kwB)
    const { token, record } = await a.tokens.create({ userId: 'u2', name: 'nat' })
    expect((await kwB.authenticate(bearer(token))).ok).toBe(true)
    // Only the LISTEN connection is to freeze: wait for a moment with no other connection open.
    await eventually(quiet, 3000)
    proxy.set('half-open')
    await a.tokens.revoke(record.id)
    // Within the heartbeat's interval + timeout (300 ms + 700 ms here) and a reconnection; with
    // { url } the store's own pool froze too, so a miss first waits out the store timeout and the
    // pool's replacement. Generous bounds: a loaded CI machine stretched the latter past 4 s.
    await eventually(async () => {
      const result = await kwB.authenticate(bearer(token))
      return !result.ok && result.error.code === 'invalid_token'
    }, 15_000)
    expect(bWarnings.some((w) => w.includes('invalidation channel'))).toBe(true)
    await eventually(() => kwB.stats().invalidations.subscribed, 10_000)
    expect(kwB.stats().invalidations.gaps).toBeGreaterThan(0)
    // Back: the next revoke reaches it as before.
    await revokeReaches(a, kwB)
    const started = Date.now()
    await kwB.close()
    expect(Date.now() - started).toBeLessThan(closeWithin)
    return kwB
  }

  const beat = { heartbeat: { interval: 300, timeout: 700 } }

  it('{ db } on node-postgres: a LISTEN gone half-open is noticed by the heartbeat and reopened', async () => {
    const at = await tables()
    const a = instance({ db: drizzlePg(pgPool()), ...at }, [], beat)
    const warnings: string[] = []
    let pool: pg.Pool | null = null
    await halfOpenListen(
      (url) => {
        // Idle pool connections close at once, so that only the LISTEN connection is left to freeze.
        pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 20 })
        pool.on('error', () => {})
        return instance({ db: drizzlePg(pool), ...at }, warnings, beat)
      },
      a,
      warnings,
      () => pool?.totalCount === 0,
    )
    // The app's pool ends promptly after close().
    const started = Date.now()
    await (pool as pg.Pool | null)?.end()
    expect(Date.now() - started).toBeLessThan(3000)
  }, 60_000)

  it('{ url } (postgres.js): a LISTEN gone half-open is noticed by the heartbeat and reopened', async () => {
    const at = await tables()
    const a = instance({ url: TEST_DATABASE_URL, ...at }, [], beat)
    const warnings: string[] = []
    let kw: Keyward | null = null
    await halfOpenListen(
      (url) => {
        kw = instance({ url, ...at }, warnings, beat)
        return kw
      },
      a,
      warnings,
      () => true,
      // Keyward's own pool was frozen too: its end() waits 5 s for the frozen connections' goodbyes,
      // after a last-used write sent down it has had its store timeout (3 s) to answer.
      9500,
    )
  }, 60_000)
})
