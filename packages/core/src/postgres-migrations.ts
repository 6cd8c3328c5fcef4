import { sql } from 'drizzle-orm'
import { postgresMigrationsTableSql } from './drizzle/postgres.js'
import type { PostgresDatabase } from './postgres-connection.js'
import type { MigrateOptions, MigrationStatus } from './store.js'
import { plannedMigrations, recordMigrationSql, tableName } from './store-ddl.js'
import type { StoreNaming } from './store-naming.js'
import { TABLES } from './store-schema.js'

/** Rows from `execute()`, whichever driver: postgres.js returns an array, node-postgres `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

type Transaction = Parameters<Parameters<PostgresDatabase['transaction']>[0]>[0]

/**
 * The Postgres store's migrations: `migrate()` (every pending migration in one transaction under an
 * advisory lock, counted statement by statement) and `status()`, a read that changes nothing. Both
 * take their SQL from `plannedMigrations`, so what `status()` shows is what `migrate()` runs.
 */
export function postgresMigrator(naming: StoreNaming) {
  const table = tableName('postgres', naming, TABLES.migrations.name)
  const setup = postgresMigrationsTableSql(naming)
  const appliedIn = async (on: Pick<PostgresDatabase, 'execute'>): Promise<Set<number>> =>
    new Set(
      rowsOf<{ version: unknown }>(await on.execute(sql.raw(`SELECT "version" FROM ${table}`))).map((r) =>
        Number(r.version),
      ),
    )

  return {
    /** Runs in `db`'s transaction; `inTransaction` (the deployment key) runs last, in the same one. */
    async migrate(
      db: PostgresDatabase,
      options: MigrateOptions,
      inTransaction: (tx: Transaction) => Promise<unknown>,
    ): Promise<void> {
      await db.transaction(async (tx) => {
        // Serialise concurrent migrations from several processes (CREATE … IF NOT EXISTS alone races).
        await tx.execute(
          sql`SELECT pg_advisory_xact_lock(hashtext(${`keyward:${naming.schema}:${naming.tablePrefix}`}))`,
        )
        for (const ddl of setup) await tx.execute(sql.raw(ddl))
        const planned = plannedMigrations('postgres', naming, await appliedIn(tx))
        const total = planned.reduce((sum, { statements }) => sum + statements.length, 0)
        let done = 0
        options.onProgress?.(done, total)
        for (const { version, statements } of planned) {
          for (const ddl of statements) {
            await tx.execute(sql.raw(ddl))
            options.onProgress?.(++done, total)
          }
          await tx.execute(
            sql`INSERT INTO ${sql.raw(table)} ("version", "applied_at") VALUES (${version}, ${Date.now()})`,
          )
        }
        await inTransaction(tx)
      })
    },

    async status(db: PostgresDatabase): Promise<MigrationStatus> {
      // to_regclass: null where the table (or its schema) does not exist yet, instead of an error.
      const [found] = rowsOf<{ found: unknown }>(
        await db.execute(sql`SELECT to_regclass(${table}) IS NOT NULL AS "found"`),
      )
      const applied = found?.found === true ? await appliedIn(db) : new Set<number>()
      const pending = plannedMigrations('postgres', naming, applied).map((migration) => ({
        ...migration,
        record: recordMigrationSql('postgres', naming, migration.version),
      }))
      return {
        dialect: 'postgres',
        applied: [...applied].sort((a, b) => a - b),
        pending,
        current: pending.length === 0,
        setup,
      }
    },
  }
}
