import { randomBytes } from 'node:crypto'
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api'
import { pgTable, text } from 'drizzle-orm/pg-core'
import postgres from 'postgres'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresStore } from '../postgres.js'
import { postgresBackend, TEST_DATABASE_URL } from '../testing/backends.js'
import { keywardTables, migrationSql } from './postgres.js'

// Only to learn whether Postgres is up (it skips loudly, or throws under CI, when it is not).
const available = (await postgresBackend()) !== null
const admin = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
const schemas: string[] = []
afterAll(async () => {
  for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await admin.end({ timeout: 5 })
})
const freshSchema = () => {
  const schema = `keyward_test_${randomBytes(6).toString('hex')}`
  schemas.push(schema)
  return schema
}

/** Columns (type, nullability, default), primary keys and indexes of a schema, as Postgres reports them. */
async function introspect(schema: string) {
  const columns = await admin`
    SELECT table_name, column_name, data_type, is_nullable, column_default, ordinal_position
    FROM information_schema.columns WHERE table_schema = ${schema} ORDER BY table_name, ordinal_position`
  const primaryKeys = await admin`
    SELECT tc.table_name, tc.constraint_name, kcu.column_name, kcu.ordinal_position
    FROM information_schema.table_constraints tc
    JOIN information_schema.key_column_usage kcu
      ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
    WHERE tc.table_schema = ${schema} AND tc.constraint_type = 'PRIMARY KEY'
    ORDER BY tc.table_name, kcu.ordinal_position`
  const indexes = await admin`
    SELECT tablename, indexname, replace(indexdef, ${`"${schema}".`}, '') AS indexdef
    FROM pg_indexes WHERE schemaname = ${schema} ORDER BY indexname`
  return {
    columns: [...columns],
    primaryKeys: [...primaryKeys],
    indexes: [...indexes].map((i) => ({ ...i, indexdef: String(i.indexdef).replace(`${schema}.`, '') })),
  }
}

async function drizzleKitSql(imports: Record<string, unknown>): Promise<string[]> {
  return generateMigration(generateDrizzleJson({}), generateDrizzleJson(imports))
}

describe.skipIf(!available)('Keyward tables for drizzle-kit on Postgres', () => {
  it('generate the same schema migrate() creates', async () => {
    const [generated, migrated] = [freshSchema(), freshSchema()]
    await admin.unsafe(`CREATE SCHEMA "${generated}"`)
    await admin.begin(async (tx) => {
      for (const statement of await drizzleKitSql(keywardTables({ schema: generated }))) {
        await tx.unsafe(statement)
      }
    })
    const store = postgresStore({ url: TEST_DATABASE_URL, schema: migrated, notify: false })
    await store.migrate()
    await store.close()
    const expected = await introspect(migrated)
    expect(new Set(expected.columns.map((c) => c.table_name))).toEqual(
      new Set([
        'keyward_audit',
        'keyward_expiry_warnings',
        'keyward_meta',
        'keyward_migrations',
        'keyward_session_versions',
        'keyward_tokens',
      ]),
    )
    // Three of the tokens table (by user, by expiry, by revocation), three of the audit log (by
    // user, by token, by time) and six primary keys.
    expect(expected.indexes.length).toBe(12)
    expect(await introspect(generated)).toEqual(expected)
  })

  it('diff against a snapshot of themselves as nothing to do', async () => {
    const tables = keywardTables({ schema: 'kw', tablePrefix: 'app_kw_' })
    expect(await generateMigration(generateDrizzleJson(tables), generateDrizzleJson(tables))).toEqual([])
  })

  it("are what keeps an app's drizzle-kit from dropping them", async () => {
    const users = pgTable('users', { id: text('id').primaryKey() })
    // The database as drizzle-kit finds it: the app's table beside Keyward's.
    const database = generateDrizzleJson({ users, ...keywardTables() })
    // The app's schema alone: what `drizzle-kit push` proposed to a user who followed the docs.
    const without = await generateMigration(database, generateDrizzleJson({ users }))
    expect(without.join('\n')).toMatch(/DROP TABLE "keyward_tokens" CASCADE/)
    const withThem = await generateMigration(database, generateDrizzleJson({ users, ...keywardTables() }))
    expect(withThem).toEqual([])
  })

  it('print the SQL migrate() runs: running it gives the same schema and bookkeeping', async () => {
    const [printed, migrated] = [freshSchema(), freshSchema()]
    await admin.begin(async (tx) => {
      for (const statement of migrationSql({ schema: printed, tablePrefix: 'p_' })) await tx.unsafe(statement)
    })
    const store = postgresStore({
      url: TEST_DATABASE_URL,
      schema: migrated,
      tablePrefix: 'p_',
      notify: false,
    })
    await store.migrate()
    await store.close()
    expect(await introspect(printed)).toEqual(await introspect(migrated))
    const versions = async (schema: string) =>
      (await admin.unsafe(`SELECT "version", "applied_at" FROM "${schema}"."p_migrations" ORDER BY 1`)).map(
        (r) => ({ version: Number(r.version), recent: Math.abs(Number(r.applied_at) - Date.now()) < 60_000 }),
      )
    expect(await versions(printed)).toEqual(await versions(migrated))
    // migrate() after the printed SQL finds nothing to do, and the store works.
    const again = postgresStore({ url: TEST_DATABASE_URL, schema: printed, tablePrefix: 'p_', notify: false })
    await again.migrate()
    expect(await again.getSessionVersion('u1')).toBe(0)
    await again.close()
    expect(migrationSql({ after: 5 })).toEqual([
      'CREATE TABLE IF NOT EXISTS "keyward_migrations" ("version" INTEGER PRIMARY KEY, "applied_at" BIGINT NOT NULL)',
    ])
    expect(migrationSql({ after: 3 }).slice(1, 3)).toEqual([
      'CREATE INDEX IF NOT EXISTS "keyward_tokens_expires_idx" ON "keyward_tokens" ("expires_at", "id")',
      'CREATE INDEX IF NOT EXISTS "keyward_tokens_revoked_idx" ON "keyward_tokens" ("revoked_at")',
    ])
    expect(() => migrationSql({ schemas: 'x' } as never)).toThrow(/no option "schemas"/)
  })
})
