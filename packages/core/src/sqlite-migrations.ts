import { sql } from 'drizzle-orm'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { sqliteMigrationsTableSql } from './drizzle/sqlite.js'
import type { MigrateOptions, MigrationStatus } from './store.js'
import { plannedMigrations, recordMigrationSql } from './store-ddl.js'
import type { StoreNaming } from './store-naming.js'
import { TABLES } from './store-schema.js'

// biome-ignore lint/suspicious/noExplicitAny: any schema the drizzle instance was built with
type SyncSqlite = BaseSQLiteDatabase<'sync', any, any>

/**
 * The SQLite store's migrations: `migrate()` (every pending migration in one immediate
 * transaction, counted statement by statement) and `status()`, a read that changes nothing. Both
 * take their SQL from `plannedMigrations`, so what `status()` shows is what `migrate()` runs.
 */
export function sqliteMigrator(db: SyncSqlite, naming: StoreNaming) {
  const table = `${naming.tablePrefix}${TABLES.migrations.name}`
  const setup = sqliteMigrationsTableSql(naming.tablePrefix)
  const appliedIn = (on: Pick<SyncSqlite, 'all'>): Set<number> =>
    new Set(
      on.all<{ version: number }>(sql.raw(`SELECT "version" FROM "${table}"`)).map((r) => Number(r.version)),
    )

  return {
    migrate(options: MigrateOptions = {}): void {
      db.run(sql.raw(setup))
      db.transaction(
        (tx) => {
          const planned = plannedMigrations('sqlite', naming, appliedIn(tx))
          const total = planned.reduce((sum, { statements }) => sum + statements.length, 0)
          let done = 0
          options.onProgress?.(done, total)
          for (const { version, statements } of planned) {
            for (const statement of statements) {
              tx.run(sql.raw(statement))
              options.onProgress?.(++done, total)
            }
            tx.run(
              sql`INSERT INTO ${sql.identifier(table)} ("version", "applied_at") VALUES (${version}, ${Date.now()})`,
            )
          }
        },
        { behavior: 'immediate' },
      )
    },

    status(): MigrationStatus {
      const exists = db.get<{ n: number }>(
        sql`SELECT count(*) AS "n" FROM sqlite_master WHERE type = 'table' AND name = ${table}`,
      )
      const applied = exists?.n ? appliedIn(db) : new Set<number>()
      const pending = plannedMigrations('sqlite', naming, applied).map((migration) => ({
        ...migration,
        record: recordMigrationSql('sqlite', naming, migration.version),
      }))
      return {
        dialect: 'sqlite',
        applied: [...applied].sort((a, b) => a - b),
        pending,
        current: pending.length === 0,
        setup: [setup],
      }
    },
  }
}
