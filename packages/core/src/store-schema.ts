/**
 * Keyward's tables, described once: columns, indexes and the migrations that created them. Each
 * dialect derives its DDL (store-ddl.ts) and its drizzle tables (drizzle/postgres.ts, drizzle/sqlite.ts) from
 * this; neither spells a column out again. Pure data and string building: no driver, no drizzle.
 */
import { KeywardError } from './errors.js'

export type Dialect = 'postgres' | 'sqlite'

/** `bigint` holds epoch milliseconds and counters (BIGINT on Postgres); `integer` small numbers. */
export type LogicalType = 'text' | 'bigint' | 'integer'

export type ColumnSpec = {
  readonly name: string
  readonly type: LogicalType
  readonly notNull?: true
  readonly primaryKey?: true
  readonly autoIncrement?: true
}

export type TableSpec = {
  /** After the table prefix: `tokens` is `keyward_tokens` by default. */
  readonly name: string
  readonly columns: Readonly<Record<string, ColumnSpec>>
  readonly indexes?: ReadonlyArray<{ readonly name: string; readonly columns: readonly string[] }>
}

export const TABLES = {
  tokens: {
    name: 'tokens',
    columns: {
      id: { name: 'id', type: 'text', primaryKey: true, notNull: true },
      userId: { name: 'user_id', type: 'text', notNull: true },
      name: { name: 'name', type: 'text', notNull: true },
      prefix: { name: 'prefix', type: 'text', notNull: true },
      secretHash: { name: 'secret_hash', type: 'text', notNull: true },
      scopes: { name: 'scopes', type: 'text', notNull: true },
      expiresAt: { name: 'expires_at', type: 'bigint' },
      lastUsedAt: { name: 'last_used_at', type: 'bigint' },
      createdAt: { name: 'created_at', type: 'bigint', notNull: true },
      revokedAt: { name: 'revoked_at', type: 'bigint' },
      revokedReason: { name: 'revoked_reason', type: 'text' },
      metadata: { name: 'metadata', type: 'text' },
      description: { name: 'description', type: 'text' },
    },
    indexes: [
      { name: 'tokens_user_created_idx', columns: ['userId', 'createdAt'] },
      // `tokens.expiring()` reads by (expires_at, id); `tokens.purge()` by expires_at or revoked_at.
      { name: 'tokens_expires_idx', columns: ['expiresAt', 'id'] },
      { name: 'tokens_revoked_idx', columns: ['revokedAt'] },
    ],
  },
  sessionVersions: {
    name: 'session_versions',
    columns: {
      userId: { name: 'user_id', type: 'text', primaryKey: true, notNull: true },
      version: { name: 'version', type: 'bigint', notNull: true },
      updatedAt: { name: 'updated_at', type: 'bigint', notNull: true },
    },
  },
  meta: {
    name: 'meta',
    columns: {
      name: { name: 'name', type: 'text', primaryKey: true, notNull: true },
      value: { name: 'value', type: 'text', notNull: true },
    },
  },
  /** Which migrations have run. The key has no NOT NULL: `migrate()` has always created it so. */
  migrations: {
    name: 'migrations',
    columns: {
      version: { name: 'version', type: 'integer', primaryKey: true },
      appliedAt: { name: 'applied_at', type: 'bigint', notNull: true },
    },
  },
  /** SQLite only: invalidations for other processes on the same file, pruned as it goes. */
  invalidations: {
    name: 'invalidations',
    columns: {
      seq: { name: 'seq', type: 'integer', primaryKey: true, autoIncrement: true, notNull: true },
      origin: { name: 'origin', type: 'text', notNull: true },
      message: { name: 'message', type: 'text', notNull: true },
      createdAt: { name: 'created_at', type: 'bigint', notNull: true },
    },
  },
  /**
   * The audit log, append-only: one row per management event. `id` orders it (an AUTOINCREMENT
   * rowid on SQLite, an identity on Postgres); `detail` is small JSON, never a token or a hash.
   */
  audit: {
    name: 'audit',
    columns: {
      id: { name: 'id', type: 'bigint', primaryKey: true, autoIncrement: true, notNull: true },
      at: { name: 'at', type: 'bigint', notNull: true },
      action: { name: 'action', type: 'text', notNull: true },
      actorKind: { name: 'actor_kind', type: 'text', notNull: true },
      actorId: { name: 'actor_id', type: 'text' },
      tokenId: { name: 'token_id', type: 'text' },
      userId: { name: 'user_id', type: 'text' },
      address: { name: 'address', type: 'text' },
      userAgent: { name: 'user_agent', type: 'text' },
      detail: { name: 'detail', type: 'text' },
    },
    indexes: [
      // `audit.page()` by user or by token, newest first; `audit.purge()` by time.
      { name: 'audit_user_idx', columns: ['userId', 'id'] },
      { name: 'audit_token_idx', columns: ['tokenId', 'id'] },
      { name: 'audit_at_idx', columns: ['at'] },
    ],
  },
  /**
   * Expiry warnings sent, one row per (token, window): inserted if absent, so each is sent once.
   * The key is one column, `<window_ms>:<token_id>`, rather than a composite primary key, which
   * drizzle-kit's `pushSchema` fails to introspect on Postgres.
   */
  expiryWarnings: {
    name: 'expiry_warnings',
    columns: {
      key: { name: 'key', type: 'text', primaryKey: true, notNull: true },
      tokenId: { name: 'token_id', type: 'text', notNull: true },
      windowMs: { name: 'window_ms', type: 'bigint', notNull: true },
      warnedAt: { name: 'warned_at', type: 'bigint', notNull: true },
    },
  },
} as const satisfies Record<string, TableSpec>

export type TableKey = keyof typeof TABLES

/** `createTable` creates a table with the columns and indexes no later step adds, then its indexes. */
export type MigrationStep =
  | { readonly createTable: TableKey }
  | { readonly addColumn: { readonly table: TableKey; readonly column: string } }
  | { readonly createIndex: { readonly table: TableKey; readonly index: string } }

/**
 * Every migration, in the order each dialect shipped it, with its version there (absent: not on that
 * dialect). Append only: never edit or renumber one that shipped.
 */
const MIGRATIONS: ReadonlyArray<{
  readonly version: Readonly<Partial<Record<Dialect, number>>>
  readonly steps: readonly MigrationStep[]
}> = [
  {
    version: { postgres: 1, sqlite: 1 },
    steps: [{ createTable: 'tokens' }, { createTable: 'sessionVersions' }],
  },
  { version: { postgres: 2, sqlite: 2 }, steps: [{ createTable: 'meta' }] },
  { version: { sqlite: 3 }, steps: [{ createTable: 'invalidations' }] },
  {
    version: { postgres: 3, sqlite: 4 },
    steps: [{ addColumn: { table: 'tokens', column: 'description' } }],
  },
  {
    version: { postgres: 4, sqlite: 5 },
    steps: [
      { createIndex: { table: 'tokens', index: 'tokens_expires_idx' } },
      { createIndex: { table: 'tokens', index: 'tokens_revoked_idx' } },
    ],
  },
  {
    version: { postgres: 5, sqlite: 6 },
    steps: [{ createTable: 'audit' }, { createTable: 'expiryWarnings' }],
  },
]

export type Migration = { version: number; steps: readonly MigrationStep[] }

/** The dialect's migrations, in version order. */
export function migrationsOf(dialect: Dialect): Migration[] {
  return MIGRATIONS.flatMap(({ version, steps }) =>
    version[dialect] === undefined ? [] : [{ version: version[dialect], steps }],
  ).sort((a, b) => a.version - b.version)
}

/** The migrations still to run, given the versions recorded in `<prefix>migrations`. */
export function pendingMigrations<M extends { version: number }>(
  migrations: readonly M[],
  applied: ReadonlySet<number>,
): M[] {
  return migrations.filter((migration) => !applied.has(migration.version))
}

/** The versions at or below `after`, for `migrationSql({ after })`; refuses what is not a version. */
export function versionsUpTo(after: number): ReadonlySet<number> {
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new KeywardError(
      'invalid_option',
      `migrationSql() after must be a version (0 or more); got ${after}.`,
    )
  }
  return new Set(Array.from({ length: after }, (_, index) => index + 1))
}

/**
 * What a later step adds to `table` rather than its `createTable`: the columns (`addColumn`) or the
 * indexes (`createIndex`).
 */
export function addedByLaterSteps(table: TableKey, kind: 'addColumn' | 'createIndex'): Set<string> {
  return new Set(
    MIGRATIONS.flatMap(({ steps }) =>
      steps.flatMap((step) => {
        if (kind === 'addColumn' && 'addColumn' in step && step.addColumn.table === table)
          return [step.addColumn.column]
        if (kind === 'createIndex' && 'createIndex' in step && step.createIndex.table === table)
          return [step.createIndex.index]
        return []
      }),
    ),
  )
}
