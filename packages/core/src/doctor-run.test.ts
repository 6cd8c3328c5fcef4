import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { argon2Hasher, sha256Hasher } from './hashing.js'
import { createKeyward, type DoctorReport } from './keyward.js'
import { postgresStore } from './postgres.js'
import { redisCache } from './redis.js'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { backends, eventually, TEST_DATABASE_URL } from './testing/backends.js'
import { scratchInstances } from './testing/scratch.js'
import { faultProxy, testRedis } from './testing/services.js'

const run = promisify(execFile)
const script = fileURLToPath(new URL('./testing/fixtures/doctor-exit.ts', import.meta.url))
const redis = await testRedis()
const { file, instance, closeAfter } = scratchInstances('doctor')
const statuses = (report: DoctorReport) => Object.fromEntries(report.checks.map((c) => [c.name, c.status]))
const detail = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name)?.detail
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
/** An address where nothing listens: connections are refused at once. */
const REFUSED_POSTGRES = 'postgres://postgres@127.0.0.1:1/test'

for (const backend of await backends()) {
  describe(`kw.doctor() on ${backend.name}`, () => {
    it('in a short-lived process (the CLI): reports, closes, and the process ends on its own', async () => {
      const { location } = await backend.create()
      let args = location ? ['postgres', TEST_DATABASE_URL, location.schema, location.tablePrefix] : []
      if (!location) {
        const path = file()
        const store = sqliteStore({ path })
        await store.migrate()
        await store.close()
        args = ['sqlite', path]
      }
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, ...args], {
        timeout: 20_000,
      })
      const report = JSON.parse(stdout) as DoctorReport
      expect(report.ok).toBe(true)
      expect(statuses(report)).toMatchObject({ store: 'ok', 'invalidation-channel': 'ok', hasher: 'ok' })
    }, 30_000)

    it('all ok: the store answers, migrations are current, the key reads, a probe comes back', async () => {
      const { store } = await backend.create()
      const kw = instance({ store })
      const report = await kw.doctor({ hasher: false })
      expect(report.ok).toBe(true)
      expect(statuses(report)).toEqual({
        store: 'ok',
        migrations: 'ok',
        'deployment-key': 'ok',
        'invalidation-channel': 'ok',
        'shared-cache': 'skipped',
        hasher: 'skipped',
      })
      expect(report.checks.map((c) => c.name)).toEqual([
        'store',
        'migrations',
        'deployment-key',
        'invalidation-channel',
        'shared-cache',
        'hasher',
      ])
      const channel = report.checks.find((c) => c.name === 'invalidation-channel')
      expect(channel?.detail).toMatch(
        backend.name === 'sqlite' ? /SQLite invalidation table/ : /LISTEN\/NOTIFY/,
      )
      expect(channel?.ms).toBeGreaterThanOrEqual(0)
      expect(report.checks.find((c) => c.name === 'store')?.ms).toBeGreaterThanOrEqual(0)
      expect(Object.isFrozen(report) && Object.isFrozen(report.checks)).toBe(true)
    })

    it('a pending migration fails, saying to run keyward migrate; the rest still answers', async () => {
      const created = await backend.create()
      const version = backend.name === 'sqlite' ? 5 : 4
      const table = created.location
        ? `"${created.location.schema}"."${created.location.tablePrefix}migrations"`
        : '"keyward_migrations"'
      await created.exec(`DELETE FROM ${table} WHERE "version" = ${version}`)
      const report = await instance({ store: created.store }).doctor({ hasher: false })
      expect(report.ok).toBe(false)
      expect(statuses(report)).toMatchObject({
        store: 'ok',
        migrations: 'fail',
        'invalidation-channel': 'ok',
      })
      expect(detail(report, 'migrations')).toMatch(
        new RegExp(
          `1 migration\\(s\\) pending on ${backend.name} \\(version ${version}\\): run \`keyward migrate\``,
        ),
      )
    })
  })
}

describe('kw.doctor() in trouble: failing checks, no exception, no hang', () => {
  it('a store that refuses connections: the store fails, what needs it is skipped, close() ends, no timer left', async () => {
    const before = timers()
    const kw = createKeyward({
      store: postgresStore({ url: REFUSED_POSTGRES }),
      hasher: sha256Hasher(),
      logger: { warn: () => {} },
    })
    const report = await kw.doctor({ hasher: false })
    expect(report.ok).toBe(false)
    expect(statuses(report)).toEqual({
      store: 'fail',
      migrations: 'skipped',
      'deployment-key': 'skipped',
      'invalidation-channel': 'skipped',
      'shared-cache': 'skipped',
      hasher: 'skipped',
    })
    expect(detail(report, 'store')).toMatch(/ECONNREFUSED.*KEYWARD_DATABASE_URL/)
    await kw.close()
    // The driver clears its own last timers (postgres.js's end and reconnect) a moment later.
    await eventually(() => timers() <= before, 1000)
  })

  it('a store that never answers: fails after the timeout, and close() still ends', async () => {
    const proxy = await faultProxy({ host: '127.0.0.1', port: 1 })
    closeAfter(() => proxy.close())
    proxy.set('blackhole')
    const kw = instance({ store: postgresStore({ url: `postgres://postgres@127.0.0.1:${proxy.port}/test` }) })
    const started = Date.now()
    const report = await kw.doctor({ hasher: false, timeout: '500ms' })
    expect(Date.now() - started).toBeLessThan(3000)
    expect(detail(report, 'store')).toMatch(/no answer within 500 ms/)
    await kw.close()
  }, 20_000)

  it('a store that was not there to open (a rejected store promise): fails, and close() resolves', async () => {
    const kw = instance({
      store: Promise.reject(new Error('KEYWARD_DATABASE_URL needs the "postgres" package')),
    })
    const report = await kw.doctor({ hasher: false })
    expect(statuses(report)).toMatchObject({ store: 'fail', migrations: 'skipped' })
    expect(detail(report, 'store')).toMatch(/needs the "postgres" package/)
  })

  it('a database never migrated: migrations, key and channel fail with what to do', async () => {
    const report = await instance({ store: sqliteStore({ path: file() }) }).doctor({ hasher: false })
    expect(statuses(report)).toMatchObject({
      store: 'ok',
      migrations: 'fail',
      'deployment-key': 'fail',
      'invalidation-channel': 'fail',
    })
    expect(detail(report, 'migrations')).toMatch(
      /6 migration\(s\) pending on sqlite \(version 1, 2, 3, 4, 5, 6\)/,
    )
    expect(detail(report, 'deployment-key')).toMatch(/keyward migrate/)
    expect(detail(report, 'invalidation-channel')).toMatch(/did not come back.*invalidations exists/)
  })

  it.skipIf(redis === null)(
    'Redis unreachable: the shared cache and its channel fail; close() ends',
    async () => {
      const store = sqliteStore({ path: file() })
      await store.migrate()
      const kw = instance({ store, sharedCache: redisCache({ url: 'redis://127.0.0.1:1' }) })
      const report = await kw.doctor({ hasher: false, timeout: '1s' })
      expect(statuses(report)).toMatchObject({
        store: 'ok',
        migrations: 'ok',
        'invalidation-channel': 'fail',
        'shared-cache': 'fail',
      })
      expect(detail(report, 'shared-cache')).toMatch(/KEYWARD_REDIS_URL/)
      expect(detail(report, 'invalidation-channel')).toMatch(/Redis pub\/sub did not come back/)
    },
    20_000,
  )
})

describe('kw.doctor() checks', () => {
  it.skipIf(redis === null)('Redis: reachable, and the channel a probe travels', async () => {
    const store = sqliteStore({ path: file() })
    await store.migrate()
    if (!redis) return
    const kw = instance({ store, sharedCache: redisCache({ url: redis.url }, { keyPrefix: redis.prefix() }) })
    const report = await kw.doctor({ hasher: false })
    expect(report.ok).toBe(true)
    expect(statuses(report)).toMatchObject({ 'invalidation-channel': 'ok', 'shared-cache': 'ok' })
    expect(detail(report, 'invalidation-channel')).toMatch(/Redis pub\/sub and came back/)
  })

  it('a bus that takes messages but delivers none fails the channel check', async () => {
    const inner = sqliteStore({ path: ':memory:' })
    await inner.migrate()
    const silent: KeywardStore = {
      ...inner,
      bus: { publish: async () => {}, subscribe: async () => {}, close: async () => {} },
    }
    const report = await instance({ store: silent }).doctor({ hasher: false, timeout: '200ms' })
    expect(report.ok).toBe(false)
    expect(detail(report, 'invalidation-channel')).toMatch(
      /a probe sent over the SQLite invalidation table did not come back \(no answer within 200 ms\)/,
    )
  })

  it('no channel warns; a database in memory has nobody to tell', async () => {
    const off = sqliteStore({ path: file(), notify: false })
    await off.migrate()
    const report = await instance({ store: off }).doctor({ hasher: false })
    expect(report.ok).toBe(true)
    expect(detail(report, 'invalidation-channel')).toMatch(/no invalidation channel/)
    expect(statuses(report)['invalidation-channel']).toBe('warn')
    const memory = sqliteStore({ path: ':memory:' })
    await memory.migrate()
    const local = await instance({ store: memory }).doctor({ hasher: false })
    expect(statuses(local)['invalidation-channel']).toBe('skipped')
  })

  it('hasher: times verifications with the configured hasher and weighs its parameters', async () => {
    const memory = async () => {
      const store = sqliteStore({ path: ':memory:' })
      await store.migrate()
      return store
    }
    const owasp = await instance({ store: await memory(), hasher: argon2Hasher() }).doctor()
    const measured = owasp.checks.find((c) => c.name === 'hasher')
    // ok or warn by this machine's speed (warn past 100 ms); the parameters are at OWASP's minimum.
    expect(measured?.status).toMatch(/^(ok|warn)$/)
    expect(measured?.detail).toMatch(
      /^argon2id m=19456 KiB, t=2, p=1: [\d.]+ ms a verification .*median of 5/,
    )
    expect(measured?.detail).not.toMatch(/OWASP/)
    expect(measured?.ms).toBeGreaterThan(0)
    const cheap = await instance({
      store: await memory(),
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    }).doctor()
    expect(cheap.checks.find((c) => c.name === 'hasher')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/argon2id m=1024 KiB, t=1, p=1: .*below OWASP's minimum/),
    })
    const broken = await instance({
      store: await memory(),
      hasher: { ...sha256Hasher(), verify: async () => false },
    }).doctor()
    expect(broken.checks.find((c) => c.name === 'hasher')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/did not verify a hash it had just made/),
    })
  })

  it('refuses bad options; a closed instance refuses', async () => {
    const kw = instance({ store: sqliteStore({ path: ':memory:' }) })
    for (const options of [null, { hasher: 'no' }, { timeout: 0 }, { timeout: 'soon' }, { probe: true }]) {
      await expect(kw.doctor(options as never)).rejects.toMatchObject({ code: 'invalid_argument' })
    }
    await kw.close()
    await expect(kw.doctor()).rejects.toMatchObject({ code: 'closed' })
  })
})

it('the doctor’s probe does not reach another instance as an invalidation', async () => {
  const path = file()
  const store = sqliteStore({ path })
  await store.migrate()
  const other = instance({ store: sqliteStore({ path }) })
  await other.tokens.list('nobody')
  await instance({ store }).doctor({ hasher: false })
  expect(other.stats().invalidations).toMatchObject({ received: 0, forged: 0 })
})
