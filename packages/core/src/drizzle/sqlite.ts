/**
 * Keyward's tables on SQLite as drizzle definitions, and the SQL `migrate()` runs, both derived from
 * the shared description in store-schema.ts. Imports only drizzle-orm, so an app's drizzle-kit
 * schema file can re-export them without loading a driver.
 */
import type { HasDefault, IsPrimaryKey, NotNull } from 'drizzle-orm'
import {
  index,
  integer,
  primaryKey,
  type SQLiteIntegerBuilderInitial,
  type SQLiteTextBuilderInitial,
  sqliteTable,
  text,
} from 'drizzle-orm/sqlite-core'
import { migrationsTableSql, plannedMigrations, recordMigrationSql } from '../store-ddl.js'
import { type ColumnSpec, TABLES, type TableSpec, versionsUpTo } from '../store-schema.js'
import { namingOptions } from './naming.js'

export type SqliteTableOptions = {
  /** Default `keyward_`. */
  tablePrefix?: string
}

export type SqliteMigrationSqlOptions = SqliteTableOptions & {
  /** Only the migrations after this version (the highest in `<prefix>migrations`). Default 0: all. */
  after?: number
}

type BaseBuilder<C extends ColumnSpec> = C['type'] extends 'text'
  ? SQLiteTextBuilderInitial<C['name'], [string, ...string[]], number | undefined>
  : SQLiteIntegerBuilderInitial<C['name']>
// An integer primary key has a default on SQLite (the rowid); a key without NOT NULL is declared
// on the table instead (see `builders`), so its column stays as it is.
type Builder<C extends ColumnSpec> = C extends { primaryKey: true; notNull: true }
  ? C['type'] extends 'text'
    ? IsPrimaryKey<NotNull<BaseBuilder<C>>>
    : IsPrimaryKey<HasDefault<NotNull<BaseBuilder<C>>>>
  : C extends { notNull: true }
    ? NotNull<BaseBuilder<C>>
    : BaseBuilder<C>
type Builders<T extends TableSpec> = { -readonly [K in keyof T['columns']]: Builder<T['columns'][K]> }

/** The drizzle column builders of a described table. */
function builders<T extends TableSpec>(spec: T): Builders<T> {
  const built: Record<string, unknown> = {}
  for (const [key, column] of Object.entries(spec.columns)) {
    const base = column.type === 'text' ? text(column.name) : integer(column.name)
    built[key] =
      column.primaryKey && column.notNull
        ? column.autoIncrement
          ? integer(column.name).primaryKey({ autoIncrement: true })
          : base.primaryKey()
        : column.notNull
          ? base.notNull()
          : base
  }
  return built as Builders<T>
}

/** The tables for a validated prefix (the store calls this). */
export function sqliteTablesFor(p: string) {
  const { tokens, sessionVersions, meta, migrations, invalidations, audit, expiryWarnings } = TABLES
  return {
    tokens: sqliteTable(`${p}${tokens.name}`, builders(tokens), (t) =>
      tokens.indexes.map(({ name, columns: [first, ...rest] }) =>
        index(`${p}${name}`).on(t[first], ...rest.map((key) => t[key])),
      ),
    ),
    sessionVersions: sqliteTable(`${p}${sessionVersions.name}`, builders(sessionVersions)),
    meta: sqliteTable(`${p}${meta.name}`, builders(meta)),
    /**
     * Which of the migrations have run; `migrate()` keeps it. Its key is declared on the table: a
     * column primary key would add NOT NULL, and drizzle-kit would then rebuild the table.
     */
    migrations: sqliteTable(`${p}${migrations.name}`, builders(migrations), (t) => [
      primaryKey({ columns: [t.version] }),
    ]),
    /** Invalidations for other processes on the same file (see the store's `notify`); pruned as it goes. */
    invalidations: sqliteTable(`${p}${invalidations.name}`, builders(invalidations)),
    /** The audit log (`createKeyward({ audit: true })`), append-only. */
    audit: sqliteTable(`${p}${audit.name}`, builders(audit), (t) =>
      audit.indexes.map(({ name, columns: [first, ...rest] }) =>
        index(`${p}${name}`).on(t[first], ...rest.map((key) => t[key])),
      ),
    ),
    /** Which expiry warnings were sent (`tokens.warnExpiring()`), one row per token and window. */
    expiryWarnings: sqliteTable(`${p}${expiryWarnings.name}`, builders(expiryWarnings)),
  }
}

/**
 * Keyward's tables for an app's drizzle schema (and drizzle-kit), named as the store is:
 * `export const { tokens, sessionVersions, meta, migrations, audit, expiryWarnings } =
 * keywardTables({ tablePrefix })`.
 */
export function keywardTables(options: SqliteTableOptions = {}) {
  return sqliteTablesFor(namingOptions(options, ['tablePrefix'], 'keywardTables()').tablePrefix)
}

const defaults = sqliteTablesFor('keyward_')
/** The tables with the default prefix `keyward_`, ready to re-export. */
export const keywardTokens = defaults.tokens
export const keywardSessionVersions = defaults.sessionVersions
export const keywardMeta = defaults.meta
export const keywardMigrations = defaults.migrations
export const keywardInvalidations = defaults.invalidations
export const keywardAudit = defaults.audit
export const keywardExpiryWarnings = defaults.expiryWarnings

/** Each entry runs once, in order, recorded in `<prefix>migrations`. Never edit one that shipped. */
export function sqliteMigrations(p: string): string[][] {
  return plannedMigrations('sqlite', { schema: null, tablePrefix: p }, new Set()).map(
    ({ statements }) => statements,
  )
}

/** What `migrate()` runs before the migrations. */
export function sqliteMigrationsTableSql(p: string): string {
  return migrationsTableSql('sqlite', { schema: null, tablePrefix: p })
}

/**
 * The statements `migrate()` runs, in order, for teams on another migration tool: the bookkeeping
 * table, then each migration followed by the row recording it, so that `migrate()` later skips what
 * ran. Run them in one transaction. (`migrate()` also inserts the deployment key row; the store
 * creates it on first use when it is missing.)
 */
export function migrationSql(options: SqliteMigrationSqlOptions = {}): string[] {
  const { after = 0, ...naming } = options
  const p = namingOptions(naming, ['tablePrefix'], 'migrationSql()').tablePrefix
  const pending = plannedMigrations('sqlite', { schema: null, tablePrefix: p }, versionsUpTo(after))
  return [
    sqliteMigrationsTableSql(p),
    ...pending.flatMap(({ version, statements }) => [
      ...statements,
      recordMigrationSql('sqlite', { schema: null, tablePrefix: p }, version),
    ]),
  ]
}
