/**
 * Keyward's tables on Postgres as drizzle definitions, and the SQL `migrate()` runs. Imports only
 * drizzle-orm, so an app's drizzle-kit schema file can re-export them without loading a driver.
 */
import { bigint, index, integer, pgSchema, pgTable, text } from 'drizzle-orm/pg-core'
import { KeywardError } from '../errors.js'
import type { StoreNaming } from '../store.js'
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

/** The tables for resolved naming (the stores call this; options are validated already). */
export function postgresTablesFor({ schema, tablePrefix: p }: StoreNaming) {
  // Only the schema name differs at run time; the column types are the same either way.
  const table = (schema === null ? pgTable : pgSchema(schema).table) as typeof pgTable
  const tokens = table(
    `${p}tokens`,
    {
      id: text('id').primaryKey(),
      userId: text('user_id').notNull(),
      name: text('name').notNull(),
      prefix: text('prefix').notNull(),
      secretHash: text('secret_hash').notNull(),
      scopes: text('scopes').notNull(),
      expiresAt: bigint('expires_at', { mode: 'number' }),
      lastUsedAt: bigint('last_used_at', { mode: 'number' }),
      createdAt: bigint('created_at', { mode: 'number' }).notNull(),
      revokedAt: bigint('revoked_at', { mode: 'number' }),
      revokedReason: text('revoked_reason'),
      metadata: text('metadata'),
      description: text('description'),
    },
    (t) => [index(`${p}tokens_user_created_idx`).on(t.userId, t.createdAt)],
  )
  const sessionVersions = table(`${p}session_versions`, {
    userId: text('user_id').primaryKey(),
    version: bigint('version', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  })
  const meta = table(`${p}meta`, {
    name: text('name').primaryKey(),
    value: text('value').notNull(),
  })
  /** Which of the migrations below have run; `migrate()` keeps it. */
  const migrations = table(`${p}migrations`, {
    version: integer('version').primaryKey(),
    appliedAt: bigint('applied_at', { mode: 'number' }).notNull(),
  })
  return { tokens, sessionVersions, meta, migrations }
}

/**
 * Keyward's tables for an app's drizzle schema (and drizzle-kit), named as the store is:
 * `export const { tokens, sessionVersions, meta, migrations } = keywardTables({ tablePrefix })`.
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

/** Each entry runs once, in order, recorded in `<prefix>migrations`. Never edit one that shipped. */
export function postgresMigrations({ schema, tablePrefix: p }: StoreNaming): string[][] {
  const q = (name: string) => (schema ? `"${schema}"."${name}"` : `"${name}"`)
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${q(`${p}tokens`)} (
        "id" TEXT PRIMARY KEY NOT NULL,
        "user_id" TEXT NOT NULL,
        "name" TEXT NOT NULL,
        "prefix" TEXT NOT NULL,
        "secret_hash" TEXT NOT NULL,
        "scopes" TEXT NOT NULL,
        "expires_at" BIGINT,
        "last_used_at" BIGINT,
        "created_at" BIGINT NOT NULL,
        "revoked_at" BIGINT,
        "revoked_reason" TEXT,
        "metadata" TEXT
      )`,
      `CREATE INDEX IF NOT EXISTS "${p}tokens_user_created_idx" ON ${q(`${p}tokens`)} ("user_id", "created_at")`,
      `CREATE TABLE IF NOT EXISTS ${q(`${p}session_versions`)} (
        "user_id" TEXT PRIMARY KEY NOT NULL,
        "version" BIGINT NOT NULL,
        "updated_at" BIGINT NOT NULL
      )`,
    ],
    [
      `CREATE TABLE IF NOT EXISTS ${q(`${p}meta`)} (
        "name" TEXT PRIMARY KEY NOT NULL,
        "value" TEXT NOT NULL
      )`,
    ],
    [`ALTER TABLE ${q(`${p}tokens`)} ADD COLUMN IF NOT EXISTS "description" TEXT`],
  ]
}

/** What `migrate()` runs before the migrations, in the same transaction. */
export function postgresMigrationsTableSql({ schema, tablePrefix: p }: StoreNaming): string[] {
  const table = schema ? `"${schema}"."${p}migrations"` : `"${p}migrations"`
  return [
    ...(schema ? [`CREATE SCHEMA IF NOT EXISTS "${schema}"`] : []),
    `CREATE TABLE IF NOT EXISTS ${table} ("version" INTEGER PRIMARY KEY, "applied_at" BIGINT NOT NULL)`,
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
  const { schema, tablePrefix: p } = namingOptions(naming, ['schema', 'tablePrefix'], 'migrationSql()')
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new KeywardError(
      'invalid_option',
      `migrationSql() after must be a version (0 or more); got ${after}.`,
    )
  }
  const table = schema ? `"${schema}"."${p}migrations"` : `"${p}migrations"`
  return [
    ...postgresMigrationsTableSql({ schema, tablePrefix: p }),
    ...postgresMigrations({ schema, tablePrefix: p }).flatMap((statements, index) =>
      index + 1 <= after
        ? []
        : [
            ...statements,
            `INSERT INTO ${table} ("version", "applied_at") VALUES (${index + 1}, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING`,
          ],
    ),
  ]
}
