/**
 * Keyward's tables on Postgres as drizzle definitions, and the SQL `migrate()` runs, both derived
 * from the shared description in store-schema.ts. Imports only drizzle-orm, so an app's drizzle-kit
 * schema file can re-export them without loading a driver.
 */
import type { IsIdentity, IsPrimaryKey, NotNull } from 'drizzle-orm'
import {
  bigint,
  index,
  integer,
  type PgBigInt53BuilderInitial,
  type PgIntegerBuilderInitial,
  type PgTextBuilderInitial,
  pgSchema,
  pgTable,
  text,
} from 'drizzle-orm/pg-core'
import { migrationsTableSql, plannedMigrations, recordMigrationSql } from '../store-ddl.js'
import type { StoreNaming } from '../store-naming.js'
import { type ColumnSpec, TABLES, type TableSpec, versionsUpTo } from '../store-schema.js'
import { namingOptions } from './naming.js'

export type PostgresTableOptions = {
  /** A Postgres schema for the tables. Default: none (the search path). */
  schema?: string
  /** Default `keyward_`. */
  tablePrefix?: string
}

export type PostgresMigrationSqlOptions = PostgresTableOptions & {
  /** Only the migrations after this version (the highest in `<prefix>migrations`). Default 0: all. */
  after?: number
}

type BaseBuilder<C extends ColumnSpec> = C['type'] extends 'text'
  ? PgTextBuilderInitial<C['name'], [string, ...string[]]>
  : C['type'] extends 'bigint'
    ? PgBigInt53BuilderInitial<C['name']>
    : PgIntegerBuilderInitial<C['name']>
type Builder<C extends ColumnSpec> = C extends { autoIncrement: true }
  ? IsIdentity<IsPrimaryKey<NotNull<BaseBuilder<C>>>, 'always'>
  : C extends { primaryKey: true }
    ? IsPrimaryKey<NotNull<BaseBuilder<C>>>
    : C extends { notNull: true }
      ? NotNull<BaseBuilder<C>>
      : BaseBuilder<C>
type Builders<T extends TableSpec> = { -readonly [K in keyof T['columns']]: Builder<T['columns'][K]> }

/** The drizzle column builders of a described table (a primary key is NOT NULL on Postgres). */
function builders<T extends TableSpec>(spec: T): Builders<T> {
  const built: Record<string, unknown> = {}
  for (const [key, column] of Object.entries(spec.columns)) {
    const base =
      column.type === 'text'
        ? text(column.name)
        : column.type === 'bigint'
          ? bigint(column.name, { mode: 'number' })
          : integer(column.name)
    const declared = column.primaryKey ? base.primaryKey() : column.notNull ? base.notNull() : base
    // Numbered by the database: an identity column, which no insert may set.
    built[key] =
      column.autoIncrement && 'generatedAlwaysAsIdentity' in declared
        ? declared.generatedAlwaysAsIdentity()
        : declared
  }
  return built as Builders<T>
}

/** The tables for resolved naming (the stores call this; options are validated already). */
export function postgresTablesFor({ schema, tablePrefix: p }: StoreNaming) {
  // Only the schema name differs at run time; the column types are the same either way.
  const table = (schema === null ? pgTable : pgSchema(schema).table) as typeof pgTable
  const { tokens, sessionVersions, meta, migrations, audit, expiryWarnings } = TABLES
  return {
    tokens: table(`${p}${tokens.name}`, builders(tokens), (t) =>
      tokens.indexes.map(({ name, columns: [first, ...rest] }) =>
        index(`${p}${name}`).on(t[first], ...rest.map((key) => t[key])),
      ),
    ),
    sessionVersions: table(`${p}${sessionVersions.name}`, builders(sessionVersions)),
    meta: table(`${p}${meta.name}`, builders(meta)),
    /** Which of the migrations have run; `migrate()` keeps it. */
    migrations: table(`${p}${migrations.name}`, builders(migrations)),
    /** The audit log (`createKeyward({ audit: true })`), append-only. */
    audit: table(`${p}${audit.name}`, builders(audit), (t) =>
      audit.indexes.map(({ name, columns: [first, ...rest] }) =>
        index(`${p}${name}`).on(t[first], ...rest.map((key) => t[key])),
      ),
    ),
    /** Which expiry warnings were sent (`tokens.warnExpiring()`), one row per token and window. */
    expiryWarnings: table(`${p}${expiryWarnings.name}`, builders(expiryWarnings)),
  }
}

/**
 * Keyward's tables for an app's drizzle schema (and drizzle-kit), named as the store is:
 * `export const { tokens, sessionVersions, meta, migrations, audit, expiryWarnings } =
 * keywardTables({ tablePrefix })`.
 */
export function keywardTables(options: PostgresTableOptions = {}) {
  return postgresTablesFor(namingOptions(options, ['schema', 'tablePrefix'], 'keywardTables()'))
}

const defaults = postgresTablesFor({ schema: null, tablePrefix: 'keyward_' })
/** The tables with the default naming (no schema, prefix `keyward_`), ready to re-export. */
export const keywardTokens = defaults.tokens
export const keywardSessionVersions = defaults.sessionVersions
export const keywardMeta = defaults.meta
export const keywardMigrations = defaults.migrations
export const keywardAudit = defaults.audit
export const keywardExpiryWarnings = defaults.expiryWarnings

/** Each entry runs once, in order, recorded in `<prefix>migrations`. Never edit one that shipped. */
export function postgresMigrations(naming: StoreNaming): string[][] {
  return plannedMigrations('postgres', naming, new Set()).map(({ statements }) => statements)
}

/** What `migrate()` runs before the migrations, in the same transaction. */
export function postgresMigrationsTableSql(naming: StoreNaming): string[] {
  return [
    ...(naming.schema ? [`CREATE SCHEMA IF NOT EXISTS "${naming.schema}"`] : []),
    migrationsTableSql('postgres', naming),
  ]
}

/**
 * The statements `migrate()` runs, in order, for teams on another migration tool: the schema and
 * bookkeeping table, then each migration followed by the row recording it, so that `migrate()`
 * later skips what ran. Run them in one transaction. (`migrate()` also inserts the deployment key
 * row; the store creates it on first use when it is missing.)
 */
export function migrationSql(options: PostgresMigrationSqlOptions = {}): string[] {
  const { after = 0, ...naming } = options
  const resolved = namingOptions(naming, ['schema', 'tablePrefix'], 'migrationSql()')
  return [
    ...postgresMigrationsTableSql(resolved),
    ...plannedMigrations('postgres', resolved, versionsUpTo(after)).flatMap(({ version, statements }) => [
      ...statements,
      recordMigrationSql('postgres', resolved, version),
    ]),
  ]
}
