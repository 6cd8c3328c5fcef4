import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresMigrationsTableSql } from './drizzle/postgres.js'
import { sqliteMigrationsTableSql } from './drizzle/sqlite.js'
import { sha256Hasher } from './hashing.js'
import { createKeyward, storeFromEnv } from './keyward.js'
import { postgresStore } from './postgres.js'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { plannedMigrations, recordMigrationSql } from './store-ddl.js'
import { type Dialect, migrationsOf } from './store-schema.js'
import { eventually, postgresBackend, TEST_DATABASE_URL } from './testing/backends.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-migrations-'))
const postgresUp = (await postgresBackend()) !== null
const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
const schemas: string[] = []
const closers: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {})
  for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await admin.end({ timeout: 5 })
  rmSync(dir, { recursive: true, force: true })
})
let files = 0
const unique = () => randomBytes(6).toString('hex')

type Fresh = {
  store: KeywardStore
  naming: { schema: string | null; tablePrefix: string }
  setup: string[]
  /** The names of Keyward's tables that exist now. */
  tables(): Promise<string[]>
}

/** A database Keyward never touched: a new SQLite file, or a Postgres schema not yet created. */
const freshDatabases: Record<Dialect, () => Fresh> = {
  sqlite() {
    const path = join(dir, `${++files}.db`)
    const store = sqliteStore({ path })
    closers.push(() => store.close())
    return {
      store,
      naming: { schema: null, tablePrefix: 'keyward_' },
      setup: [sqliteMigrationsTableSql('keyward_')],
      async tables() {
        const db = new Database(path, { readonly: true })
        try {
          const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all()
          return (rows as { name: string }[]).map((r) => r.name)
        } finally {
          db.close()
        }
      },
    }
  },
  postgres() {
    const naming = { schema: `keyward_test_${unique()}`, tablePrefix: 'kw_' }
    schemas.push(naming.schema)
    const store = postgresStore({ url: TEST_DATABASE_URL, ...naming })
    closers.push(() => store.close())
    return {
      store,
      naming,
      setup: postgresMigrationsTableSql(naming),
      async tables() {
        const rows =
          await admin`SELECT table_name FROM information_schema.tables WHERE table_schema = ${naming.schema} ORDER BY 1`
        return rows.map((r) => String(r.table_name))
      },
    }
  },
}

function instance(store: KeywardStore | Promise<KeywardStore>, warnings: string[] = []) {
  const kw = createKeyward({ store, hasher: sha256Hasher(), logger: { warn: (m) => warnings.push(m) } })
  closers.push(() => kw.close())
  return kw
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe.skipIf(dialect === 'postgres' && !postgresUp)(`kw.migrations on ${dialect}`, () => {
    it('status() on a fresh database: all pending, as plannedMigrations, changing nothing; apply() runs them', async () => {
      const fresh = freshDatabases[dialect]()
      const warnings: string[] = []
      const kw = instance(fresh.store, warnings)
      const before = await kw.migrations.status()
      expect(before).toEqual({
        dialect,
        applied: [],
        pending: plannedMigrations(dialect, fresh.naming, new Set()).map((migration) => ({
          ...migration,
          record: recordMigrationSql(dialect, fresh.naming, migration.version),
        })),
        current: false,
        setup: fresh.setup,
      })
      expect(Object.isFrozen(before) && Object.isFrozen(before.pending[0]?.statements)).toBe(true)
      expect(await fresh.tables()).toEqual([])

      const progress: Array<[number, number]> = []
      const after = await kw.migrations.apply({ onProgress: (done, total) => progress.push([done, total]) })
      const total = before.pending.flatMap((m) => m.statements).length
      expect(progress).toEqual(Array.from({ length: total + 1 }, (_, done) => [done, total]))
      expect(after).toEqual({
        dialect,
        applied: migrationsOf(dialect).map((m) => m.version),
        pending: [],
        current: true,
        setup: fresh.setup,
      })
      expect(await kw.migrations.status()).toEqual(after)
      expect((await kw.migrations.apply()).current).toBe(true)

      // Migrations did not open the store for requests: its bus starts now, on the tables made above.
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci', expiresIn: '1d' })
      expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
      await eventually(() => kw.stats().invalidations.subscribed, 3000)
      expect(warnings).toEqual([])
    })

    it('the status as SQL (setup, then each statement and its record), run by hand, leaves nothing pending', async () => {
      const fresh = freshDatabases[dialect]()
      const kw = instance(fresh.store)
      const before = await kw.migrations.status()
      const script = [
        ...(before.setup ?? []),
        ...before.pending.flatMap((migration) => [...migration.statements, migration.record as string]),
      ]
      if (dialect === 'sqlite') {
        const db = new Database(join(dir, `${files}.db`))
        db.transaction(() => {
          for (const statement of script) db.exec(statement)
        })()
        db.close()
      } else {
        await admin.begin(async (tx) => {
          for (const statement of script) await tx.unsafe(statement)
        })
      }
      const after = await kw.migrations.status()
      expect(after).toMatchObject({ current: true, pending: [] })
      expect(after.applied).toEqual(migrationsOf(dialect).map((m) => m.version))
      // migrate() then only adds what is not SQL (the deployment key row), and records nothing twice.
      expect(await kw.migrations.apply()).toEqual(after)
    })
  })
}

describe.skipIf(!postgresUp)('the index migration on a big table (docs/migrations.md)', () => {
  it('indexes built CONCURRENTLY beforehand, with the same names: migrate() only records the version', async () => {
    const fresh = freshDatabases.postgres()
    const { schema, tablePrefix } = fresh.naming as { schema: string; tablePrefix: string }
    const kw = instance(fresh.store)
    await kw.migrations.apply()
    // As a database at version 3 is: without the indexes or the record of migration 4.
    await admin.unsafe(
      `DROP INDEX "${schema}"."${tablePrefix}tokens_expires_idx", "${schema}"."${tablePrefix}tokens_revoked_idx"`,
    )
    await admin.unsafe(`DELETE FROM "${schema}"."${tablePrefix}migrations" WHERE "version" = 4`)
    expect((await kw.migrations.status()).pending.map((m) => m.version)).toEqual([4])
    await admin.unsafe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${tablePrefix}tokens_expires_idx" ON "${schema}"."${tablePrefix}tokens" ("expires_at", "id")`,
    )
    await admin.unsafe(
      `CREATE INDEX CONCURRENTLY IF NOT EXISTS "${tablePrefix}tokens_revoked_idx" ON "${schema}"."${tablePrefix}tokens" ("revoked_at")`,
    )
    expect(await kw.migrations.apply()).toMatchObject({ current: true, applied: [1, 2, 3, 4, 5] })
    const indexes = await admin`SELECT indexname FROM pg_indexes WHERE schemaname = ${schema} ORDER BY 1`
    const tokenIndexes = indexes.map((r) => String(r.indexname)).filter((name) => name.includes('tokens_'))
    expect(tokenIndexes.filter((name) => name.endsWith('_idx'))).toEqual([
      `${tablePrefix}tokens_expires_idx`,
      `${tablePrefix}tokens_revoked_idx`,
      `${tablePrefix}tokens_user_created_idx`,
    ])
  })
})

describe('kw.migrations refusals', () => {
  it('a store without migrationStatus() is unsupported, and nothing is migrated', async () => {
    const fresh = freshDatabases.sqlite()
    const { migrationStatus: _, ...store } = fresh.store
    const kw = instance(store)
    await expect(kw.migrations.status()).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/migrationStatus/),
    })
    await expect(kw.migrations.apply()).rejects.toMatchObject({ code: 'unsupported' })
    expect(await fresh.tables()).toEqual([])
  })

  it('apply() refuses bad options, and a closed instance refuses both', async () => {
    const fresh = freshDatabases.sqlite()
    const kw = instance(fresh.store)
    for (const options of [null, { onProgress: 'bar' }, { progress: () => {} }]) {
      await expect(kw.migrations.apply(options as never)).rejects.toMatchObject({ code: 'invalid_argument' })
    }
    expect(await fresh.tables()).toEqual([])
    await kw.close()
    await expect(kw.migrations.status()).rejects.toMatchObject({ code: 'closed' })
  })
})

describe('storeFromEnv({ migrate: false })', () => {
  it('returns the store as it is, for a status that changes nothing; the default still migrates', async () => {
    const env = { KEYWARD_DATABASE_URL: join(dir, `${++files}.db`) }
    const kw = instance(storeFromEnv(env, { migrate: false }))
    const status = await kw.migrations.status()
    expect(status).toMatchObject({ dialect: 'sqlite', applied: [], current: false })
    expect(status.pending.map((m) => m.version)).toEqual(migrationsOf('sqlite').map((m) => m.version))
    const migrated = await storeFromEnv(env)
    closers.push(() => migrated.close())
    expect(await migrated.migrationStatus?.()).toMatchObject({ current: true, pending: [] })
    expect(await kw.migrations.status()).toMatchObject({ current: true })
  })

  it.skipIf(!postgresUp)('on Postgres too, without touching the database', async () => {
    const store = await storeFromEnv({ KEYWARD_DATABASE_URL: TEST_DATABASE_URL }, { migrate: false })
    expect(store.dialect).toBe('postgres')
    await store.close()
  })

  it('refuses an unknown or malformed option', async () => {
    const env = { KEYWARD_DATABASE_URL: join(dir, `${++files}.db`) }
    await expect(storeFromEnv(env, { migrat: false } as never)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/migrat/),
    })
    await expect(storeFromEnv(env, { migrate: 'no' } as never)).rejects.toMatchObject({
      code: 'invalid_argument',
    })
  })
})
