import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { generateSQLiteDrizzleJson, generateSQLiteMigration } from 'drizzle-kit/api'
import { sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../sqlite.js'
import { keywardTables, migrationSql } from './sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-drizzle-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshFile = () => join(dir, `${++files}.db`)

/** Every table, column, primary key and index under `prefix`, as SQLite reports them. */
function introspect(path: string, prefix: string) {
  const db = new Database(path, { readonly: true })
  try {
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ORDER BY name`)
      .all(`${prefix}%`) as { name: string }[]
    return tables.map(({ name }) => ({
      name,
      columns: (db.pragma(`table_info("${name}")`) as Record<string, unknown>[]).map((c) => ({
        ...c,
        type: String(c.type).toUpperCase(),
      })),
      indexes: (db.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string }[])
        .map(({ name: index, unique, origin }) => ({
          // An automatic index for a primary key is named by SQLite, the same way on both sides.
          index,
          unique,
          origin,
          columns: (db.pragma(`index_info("${index}")`) as { name: string }[]).map((c) => c.name),
        }))
        .sort((a, b) => a.index.localeCompare(b.index)),
    }))
  } finally {
    db.close()
  }
}

async function migrated(tablePrefix: string) {
  const path = freshFile()
  const store = sqliteStore({ path, tablePrefix })
  await store.migrate()
  await store.close()
  return path
}

async function drizzleKitSql(imports: Record<string, unknown>): Promise<string[]> {
  return generateSQLiteMigration(
    await generateSQLiteDrizzleJson({}),
    await generateSQLiteDrizzleJson(imports),
  )
}

describe('Keyward tables for drizzle-kit on SQLite', () => {
  for (const tablePrefix of ['keyward_', 'app_kw_']) {
    it(`generate the same schema migrate() creates (prefix ${tablePrefix})`, async () => {
      const tables = tablePrefix === 'keyward_' ? keywardTables() : keywardTables({ tablePrefix })
      const path = freshFile()
      const db = new Database(path)
      for (const statement of await drizzleKitSql(tables)) db.exec(statement)
      db.close()
      const expected = introspect(await migrated(tablePrefix), tablePrefix)
      expect(expected.map((t) => t.name)).toEqual(
        ['audit', 'expiry_warnings', 'invalidations', 'meta', 'migrations', 'session_versions', 'tokens'].map(
          (t) => tablePrefix + t,
        ),
      )
      expect(introspect(path, tablePrefix)).toEqual(expected)
    })
  }

  it('diff against a snapshot of themselves as nothing to do', async () => {
    const snapshot = await generateSQLiteDrizzleJson(keywardTables())
    expect(await generateSQLiteMigration(snapshot, await generateSQLiteDrizzleJson(keywardTables()))).toEqual(
      [],
    )
  })

  it("are what keeps an app's drizzle-kit from dropping them", async () => {
    const users = sqliteTable('users', { id: text('id').primaryKey() })
    // The database as drizzle-kit finds it: the app's table beside Keyward's.
    const database = await generateSQLiteDrizzleJson({ users, ...keywardTables() })
    const without = await generateSQLiteMigration(database, await generateSQLiteDrizzleJson({ users }))
    expect(without).toContain('DROP TABLE `keyward_tokens`;')
    const withThem = await generateSQLiteMigration(
      database,
      await generateSQLiteDrizzleJson({ users, ...keywardTables() }),
    )
    expect(withThem).toEqual([])
  })

  it('print the SQL migrate() runs: running it gives the same schema and bookkeeping', async () => {
    const path = freshFile()
    const db = new Database(path)
    db.transaction(() => {
      for (const statement of migrationSql({ tablePrefix: 'sql_' })) db.exec(statement)
    })()
    db.close()
    const expected = await migrated('sql_')
    expect(introspect(path, 'sql_')).toEqual(introspect(expected, 'sql_'))
    const versions = (file: string) => {
      const d = new Database(file, { readonly: true })
      const rows = d.prepare('SELECT "version", "applied_at" FROM "sql_migrations" ORDER BY 1').all()
      d.close()
      return rows as { version: number; applied_at: number }[]
    }
    expect(versions(path).map((r) => r.version)).toEqual(versions(expected).map((r) => r.version))
    expect(versions(path).every((r) => Math.abs(r.applied_at - Date.now()) < 60_000)).toBe(true)
    // migrate() after the printed SQL finds nothing to do, and the store works.
    const store = sqliteStore({ path, tablePrefix: 'sql_' })
    await store.migrate()
    expect(await store.getSessionVersion('u1')).toBe(0)
    await store.close()
    expect(migrationSql({ after: 1 }).join('\n')).not.toContain('CREATE TABLE IF NOT EXISTS "keyward_tokens"')
    expect(() => migrationSql({ schema: 'x' } as never)).toThrow(/no option "schema"/)
    expect(() => keywardTables({ tablePrefix: 'Bad-' })).toThrow(/tablePrefix must match/)
  })
})
