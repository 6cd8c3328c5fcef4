/**
 * Keyward's tables on SQLite as drizzle definitions, and the SQL `migrate()` runs. Imports only
 * drizzle-orm, so an app's drizzle-kit schema file can re-export them without loading a driver.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { KeywardError } from '../errors.js'
import { namingOptions } from './naming.js'

export type SqliteTableOptions = {
  /** Default `keyward_`. */
  tablePrefix?: string
}

export type SqliteMigrationSqlOptions = SqliteTableOptions & {
  /** Only the migrations after this version (the highest in `<prefix>migrations`). Default 0: all. */
  after?: number
}

/** The tables for a validated prefix (the store calls this). */
export function sqliteTablesFor(p: string) {
  const tokens = sqliteTable(
    `${p}tokens`,
    {
      id: text('id').primaryKey(),
      userId: text('user_id').notNull(),
      name: text('name').notNull(),
      prefix: text('prefix').notNull(),
      secretHash: text('secret_hash').notNull(),
      scopes: text('scopes').notNull(),
      expiresAt: integer('expires_at'),
      lastUsedAt: integer('last_used_at'),
      createdAt: integer('created_at').notNull(),
      revokedAt: integer('revoked_at'),
      revokedReason: text('revoked_reason'),
      metadata: text('metadata'),
      description: text('description'),
    },
    (t) => [index(`${p}tokens_user_created_idx`).on(t.userId, t.createdAt)],
  )
  const sessionVersions = sqliteTable(`${p}session_versions`, {
    userId: text('user_id').primaryKey(),
    version: integer('version').notNull(),
    updatedAt: integer('updated_at').notNull(),
  })
  const meta = sqliteTable(`${p}meta`, {
    name: text('name').primaryKey(),
    value: text('value').notNull(),
  })
  /** Which of the migrations below have run; `migrate()` keeps it. */
  // `"version" INTEGER PRIMARY KEY` without NOT NULL, as `migrate()` has always created it (a
  // column primary key would add NOT NULL, and drizzle-kit would then rebuild the table).
  const migrations = sqliteTable(
    `${p}migrations`,
    {
      version: integer('version'),
      appliedAt: integer('applied_at').notNull(),
    },
    (t) => [primaryKey({ columns: [t.version] })],
  )
  /** Invalidations for other processes on the same file (see the store's `notify`); pruned as it goes. */
  const invalidations = sqliteTable(`${p}invalidations`, {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    origin: text('origin').notNull(),
    message: text('message').notNull(),
    createdAt: integer('created_at').notNull(),
  })
  return { tokens, sessionVersions, meta, migrations, invalidations }
}

/**
 * Keyward's tables for an app's drizzle schema (and drizzle-kit), named as the store is:
 * `export const { tokens, sessionVersions, meta, migrations } = keywardTables({ tablePrefix })`.
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

/** Each entry runs once, in order, recorded in `<prefix>migrations`. Never edit one that shipped. */
export function sqliteMigrations(p: string): string[][] {
  return [
    [
      `CREATE TABLE IF NOT EXISTS "${p}tokens" (
        "id" TEXT PRIMARY KEY NOT NULL,
        "user_id" TEXT NOT NULL,
        "name" TEXT NOT NULL,
        "prefix" TEXT NOT NULL,
        "secret_hash" TEXT NOT NULL,
        "scopes" TEXT NOT NULL,
        "expires_at" INTEGER,
        "last_used_at" INTEGER,
        "created_at" INTEGER NOT NULL,
        "revoked_at" INTEGER,
        "revoked_reason" TEXT,
        "metadata" TEXT
      )`,
      `CREATE INDEX IF NOT EXISTS "${p}tokens_user_created_idx" ON "${p}tokens" ("user_id", "created_at")`,
      `CREATE TABLE IF NOT EXISTS "${p}session_versions" (
        "user_id" TEXT PRIMARY KEY NOT NULL,
        "version" INTEGER NOT NULL,
        "updated_at" INTEGER NOT NULL
      )`,
    ],
    [
      `CREATE TABLE IF NOT EXISTS "${p}meta" (
        "name" TEXT PRIMARY KEY NOT NULL,
        "value" TEXT NOT NULL
      )`,
    ],
    [
      `CREATE TABLE IF NOT EXISTS "${p}invalidations" (
        "seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
        "origin" TEXT NOT NULL,
        "message" TEXT NOT NULL,
        "created_at" INTEGER NOT NULL
      )`,
    ],
    [`ALTER TABLE "${p}tokens" ADD COLUMN "description" TEXT`],
  ]
}

/** What `migrate()` runs before the migrations. */
export function sqliteMigrationsTableSql(p: string): string {
  return `CREATE TABLE IF NOT EXISTS "${p}migrations" ("version" INTEGER PRIMARY KEY, "applied_at" INTEGER NOT NULL)`
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
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new KeywardError(
      'invalid_option',
      `migrationSql() after must be a version (0 or more); got ${after}.`,
    )
  }
  return [
    sqliteMigrationsTableSql(p),
    ...sqliteMigrations(p).flatMap((statements, index) =>
      index + 1 <= after
        ? []
        : [
            ...statements,
            `INSERT OR IGNORE INTO "${p}migrations" ("version", "applied_at") VALUES (${index + 1}, CAST(strftime('%s', 'now') AS INTEGER) * 1000)`,
          ],
    ),
  ]
}
