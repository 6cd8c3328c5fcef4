import { describe, expect, it } from 'vitest'
import { migrationSql as postgresMigrationSql } from './drizzle/postgres.js'
import { migrationSql as sqliteMigrationSql } from './drizzle/sqlite.js'
import { expectationConditions } from './store-conditions.js'
import { plannedMigrations } from './store-ddl.js'
import { migrationsOf, pendingMigrations } from './store-schema.js'

// The SQL migrate() ran before the stores derived their DDL from store-schema.ts, captured verbatim:
// the shared description must render it byte for byte (a shipped migration is never edited).
const postgresBefore = [
  'CREATE SCHEMA IF NOT EXISTS "kw"',
  'CREATE TABLE IF NOT EXISTS "kw"."p_migrations" ("version" INTEGER PRIMARY KEY, "applied_at" BIGINT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS "kw"."p_tokens" (\n        "id" TEXT PRIMARY KEY NOT NULL,\n        "user_id" TEXT NOT NULL,\n        "name" TEXT NOT NULL,\n        "prefix" TEXT NOT NULL,\n        "secret_hash" TEXT NOT NULL,\n        "scopes" TEXT NOT NULL,\n        "expires_at" BIGINT,\n        "last_used_at" BIGINT,\n        "created_at" BIGINT NOT NULL,\n        "revoked_at" BIGINT,\n        "revoked_reason" TEXT,\n        "metadata" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "p_tokens_user_created_idx" ON "kw"."p_tokens" ("user_id", "created_at")',
  'CREATE TABLE IF NOT EXISTS "kw"."p_session_versions" (\n        "user_id" TEXT PRIMARY KEY NOT NULL,\n        "version" BIGINT NOT NULL,\n        "updated_at" BIGINT NOT NULL\n      )',
  'INSERT INTO "kw"."p_migrations" ("version", "applied_at") VALUES (1, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
  'CREATE TABLE IF NOT EXISTS "kw"."p_meta" (\n        "name" TEXT PRIMARY KEY NOT NULL,\n        "value" TEXT NOT NULL\n      )',
  'INSERT INTO "kw"."p_migrations" ("version", "applied_at") VALUES (2, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
  'ALTER TABLE "kw"."p_tokens" ADD COLUMN IF NOT EXISTS "description" TEXT',
  'INSERT INTO "kw"."p_migrations" ("version", "applied_at") VALUES (3, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
]

const postgresDefaultBefore = [
  'CREATE TABLE IF NOT EXISTS "keyward_migrations" ("version" INTEGER PRIMARY KEY, "applied_at" BIGINT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS "keyward_tokens" (\n        "id" TEXT PRIMARY KEY NOT NULL,\n        "user_id" TEXT NOT NULL,\n        "name" TEXT NOT NULL,\n        "prefix" TEXT NOT NULL,\n        "secret_hash" TEXT NOT NULL,\n        "scopes" TEXT NOT NULL,\n        "expires_at" BIGINT,\n        "last_used_at" BIGINT,\n        "created_at" BIGINT NOT NULL,\n        "revoked_at" BIGINT,\n        "revoked_reason" TEXT,\n        "metadata" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "keyward_tokens_user_created_idx" ON "keyward_tokens" ("user_id", "created_at")',
  'CREATE TABLE IF NOT EXISTS "keyward_session_versions" (\n        "user_id" TEXT PRIMARY KEY NOT NULL,\n        "version" BIGINT NOT NULL,\n        "updated_at" BIGINT NOT NULL\n      )',
  'INSERT INTO "keyward_migrations" ("version", "applied_at") VALUES (1, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
  'CREATE TABLE IF NOT EXISTS "keyward_meta" (\n        "name" TEXT PRIMARY KEY NOT NULL,\n        "value" TEXT NOT NULL\n      )',
  'INSERT INTO "keyward_migrations" ("version", "applied_at") VALUES (2, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
  'ALTER TABLE "keyward_tokens" ADD COLUMN IF NOT EXISTS "description" TEXT',
  'INSERT INTO "keyward_migrations" ("version", "applied_at") VALUES (3, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
]

const sqliteBefore = [
  'CREATE TABLE IF NOT EXISTS "s_migrations" ("version" INTEGER PRIMARY KEY, "applied_at" INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS "s_tokens" (\n        "id" TEXT PRIMARY KEY NOT NULL,\n        "user_id" TEXT NOT NULL,\n        "name" TEXT NOT NULL,\n        "prefix" TEXT NOT NULL,\n        "secret_hash" TEXT NOT NULL,\n        "scopes" TEXT NOT NULL,\n        "expires_at" INTEGER,\n        "last_used_at" INTEGER,\n        "created_at" INTEGER NOT NULL,\n        "revoked_at" INTEGER,\n        "revoked_reason" TEXT,\n        "metadata" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "s_tokens_user_created_idx" ON "s_tokens" ("user_id", "created_at")',
  'CREATE TABLE IF NOT EXISTS "s_session_versions" (\n        "user_id" TEXT PRIMARY KEY NOT NULL,\n        "version" INTEGER NOT NULL,\n        "updated_at" INTEGER NOT NULL\n      )',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (1, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'CREATE TABLE IF NOT EXISTS "s_meta" (\n        "name" TEXT PRIMARY KEY NOT NULL,\n        "value" TEXT NOT NULL\n      )',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (2, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'CREATE TABLE IF NOT EXISTS "s_invalidations" (\n        "seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n        "origin" TEXT NOT NULL,\n        "message" TEXT NOT NULL,\n        "created_at" INTEGER NOT NULL\n      )',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (3, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'ALTER TABLE "s_tokens" ADD COLUMN "description" TEXT',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (4, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
]

const sqliteDefaultBefore = [
  'CREATE TABLE IF NOT EXISTS "keyward_migrations" ("version" INTEGER PRIMARY KEY, "applied_at" INTEGER NOT NULL)',
  'CREATE TABLE IF NOT EXISTS "keyward_tokens" (\n        "id" TEXT PRIMARY KEY NOT NULL,\n        "user_id" TEXT NOT NULL,\n        "name" TEXT NOT NULL,\n        "prefix" TEXT NOT NULL,\n        "secret_hash" TEXT NOT NULL,\n        "scopes" TEXT NOT NULL,\n        "expires_at" INTEGER,\n        "last_used_at" INTEGER,\n        "created_at" INTEGER NOT NULL,\n        "revoked_at" INTEGER,\n        "revoked_reason" TEXT,\n        "metadata" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "keyward_tokens_user_created_idx" ON "keyward_tokens" ("user_id", "created_at")',
  'CREATE TABLE IF NOT EXISTS "keyward_session_versions" (\n        "user_id" TEXT PRIMARY KEY NOT NULL,\n        "version" INTEGER NOT NULL,\n        "updated_at" INTEGER NOT NULL\n      )',
  'INSERT OR IGNORE INTO "keyward_migrations" ("version", "applied_at") VALUES (1, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'CREATE TABLE IF NOT EXISTS "keyward_meta" (\n        "name" TEXT PRIMARY KEY NOT NULL,\n        "value" TEXT NOT NULL\n      )',
  'INSERT OR IGNORE INTO "keyward_migrations" ("version", "applied_at") VALUES (2, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'CREATE TABLE IF NOT EXISTS "keyward_invalidations" (\n        "seq" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n        "origin" TEXT NOT NULL,\n        "message" TEXT NOT NULL,\n        "created_at" INTEGER NOT NULL\n      )',
  'INSERT OR IGNORE INTO "keyward_migrations" ("version", "applied_at") VALUES (3, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
  'ALTER TABLE "keyward_tokens" ADD COLUMN "description" TEXT',
  'INSERT OR IGNORE INTO "keyward_migrations" ("version", "applied_at") VALUES (4, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
]

// The indexes of tokens.expiring() and tokens.purge(): migration 4 on Postgres, 5 on SQLite.
const postgresIndexes = [
  'CREATE INDEX IF NOT EXISTS "p_tokens_expires_idx" ON "kw"."p_tokens" ("expires_at", "id")',
  'CREATE INDEX IF NOT EXISTS "p_tokens_revoked_idx" ON "kw"."p_tokens" ("revoked_at")',
  'INSERT INTO "kw"."p_migrations" ("version", "applied_at") VALUES (4, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
]
const sqliteIndexes = [
  'CREATE INDEX IF NOT EXISTS "s_tokens_expires_idx" ON "s_tokens" ("expires_at", "id")',
  'CREATE INDEX IF NOT EXISTS "s_tokens_revoked_idx" ON "s_tokens" ("revoked_at")',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (5, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
]

// The audit log and the expiry warnings: migration 5 on Postgres, 6 on SQLite.
const postgresAudit = [
  'CREATE TABLE IF NOT EXISTS "kw"."p_audit" (\n        "id" BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY NOT NULL,\n        "at" BIGINT NOT NULL,\n        "action" TEXT NOT NULL,\n        "actor_kind" TEXT NOT NULL,\n        "actor_id" TEXT,\n        "token_id" TEXT,\n        "user_id" TEXT,\n        "address" TEXT,\n        "user_agent" TEXT,\n        "detail" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "p_audit_user_idx" ON "kw"."p_audit" ("user_id", "id")',
  'CREATE INDEX IF NOT EXISTS "p_audit_token_idx" ON "kw"."p_audit" ("token_id", "id")',
  'CREATE INDEX IF NOT EXISTS "p_audit_at_idx" ON "kw"."p_audit" ("at")',
  'CREATE TABLE IF NOT EXISTS "kw"."p_expiry_warnings" (\n        "key" TEXT PRIMARY KEY NOT NULL,\n        "token_id" TEXT NOT NULL,\n        "window_ms" BIGINT NOT NULL,\n        "warned_at" BIGINT NOT NULL\n      )',
  'INSERT INTO "kw"."p_migrations" ("version", "applied_at") VALUES (5, (extract(epoch from now()) * 1000)::bigint) ON CONFLICT DO NOTHING',
]
const sqliteAudit = [
  'CREATE TABLE IF NOT EXISTS "s_audit" (\n        "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n        "at" INTEGER NOT NULL,\n        "action" TEXT NOT NULL,\n        "actor_kind" TEXT NOT NULL,\n        "actor_id" TEXT,\n        "token_id" TEXT,\n        "user_id" TEXT,\n        "address" TEXT,\n        "user_agent" TEXT,\n        "detail" TEXT\n      )',
  'CREATE INDEX IF NOT EXISTS "s_audit_user_idx" ON "s_audit" ("user_id", "id")',
  'CREATE INDEX IF NOT EXISTS "s_audit_token_idx" ON "s_audit" ("token_id", "id")',
  'CREATE INDEX IF NOT EXISTS "s_audit_at_idx" ON "s_audit" ("at")',
  'CREATE TABLE IF NOT EXISTS "s_expiry_warnings" (\n        "key" TEXT PRIMARY KEY NOT NULL,\n        "token_id" TEXT NOT NULL,\n        "window_ms" INTEGER NOT NULL,\n        "warned_at" INTEGER NOT NULL\n      )',
  'INSERT OR IGNORE INTO "s_migrations" ("version", "applied_at") VALUES (6, CAST(strftime(\'%s\', \'now\') AS INTEGER) * 1000)',
]

describe('the shared store schema', () => {
  it('renders the SQL migrate() has always run, byte for byte, on both dialects, then the new migrations', () => {
    expect(postgresMigrationSql({ schema: 'kw', tablePrefix: 'p_' })).toEqual([
      ...postgresBefore,
      ...postgresIndexes,
      ...postgresAudit,
    ])
    expect(postgresMigrationSql().slice(0, postgresDefaultBefore.length)).toEqual(postgresDefaultBefore)
    expect(sqliteMigrationSql({ tablePrefix: 's_' })).toEqual([
      ...sqliteBefore,
      ...sqliteIndexes,
      ...sqliteAudit,
    ])
    expect(sqliteMigrationSql().slice(0, sqliteDefaultBefore.length)).toEqual(sqliteDefaultBefore)
  })

  it('numbers each dialect’s migrations as they shipped: the invalidations table is SQLite’s alone', () => {
    expect(migrationsOf('postgres').map((m) => m.version)).toEqual([1, 2, 3, 4, 5])
    expect(migrationsOf('sqlite').map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(migrationsOf('sqlite')[2]?.steps).toEqual([{ createTable: 'invalidations' }])
  })

  it('creates an index added by a later migration there, not with its table', () => {
    const [first] = plannedMigrations('sqlite', { schema: null, tablePrefix: 'x_' }, new Set())
    expect(first?.statements.join('\n')).toContain('"x_tokens_user_created_idx"')
    expect(first?.statements.join('\n')).not.toContain('_expires_idx')
    expect(
      plannedMigrations('sqlite', { schema: null, tablePrefix: 'x_' }, new Set([1, 2, 3, 4, 6])),
    ).toEqual([
      {
        version: 5,
        statements: [
          'CREATE INDEX IF NOT EXISTS "x_tokens_expires_idx" ON "x_tokens" ("expires_at", "id")',
          'CREATE INDEX IF NOT EXISTS "x_tokens_revoked_idx" ON "x_tokens" ("revoked_at")',
        ],
      },
    ])
  })

  it('leaves pending only the migrations not applied, in order', () => {
    const migrations = migrationsOf('sqlite')
    expect(pendingMigrations(migrations, new Set()).map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6])
    expect(pendingMigrations(migrations, new Set([1, 3])).map((m) => m.version)).toEqual([2, 4, 5, 6])
    expect(pendingMigrations(migrations, new Set([1, 2, 3, 4, 5, 6]))).toEqual([])
  })

  it('builds the compare-and-set conditions of updateToken from the expectation', () => {
    expect(expectationConditions({ revokedAt: null, expiresAt: 5 })).toEqual([
      { column: 'revokedAt', equals: null },
      { column: 'expiresAt', equals: 5 },
    ])
    expect(expectationConditions({ revokedAt: null, expiresAt: null, revokedReason: null })).toEqual([
      { column: 'revokedAt', equals: null },
      { column: 'expiresAt', equals: null },
      { column: 'revokedReason', equals: null },
    ])
  })
})
