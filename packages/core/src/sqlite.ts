import Database from 'better-sqlite3'
import { and, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/better-sqlite3'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { sqliteTablesFor } from './drizzle/sqlite.js'
import { type Duration, toMilliseconds } from './duration.js'
import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'
import { decodeDeploymentKey, newDeploymentKey } from './shared-trust.js'
import { sqliteAudit } from './sqlite-audit.js'
import { sqliteBus } from './sqlite-bus.js'
import { sqliteMigrator } from './sqlite-migrations.js'
import { sqliteUpkeep } from './sqlite-upkeep.js'
import { DEPLOYMENT_KEY_NAME, type KeywardStore } from './store.js'
import { fromColumns, patchColumns, toColumns } from './store-columns.js'
import { activeAt, unchangedSince } from './store-conditions.js'
import { resolveNaming } from './store-naming.js'
import { tokenPageWhere } from './token-page-query.js'

/** The store's tables (`keywardTables()` in `@keyward/core/drizzle/sqlite` takes options). */
export function sqliteTables(tablePrefix = 'keyward_') {
  const { tokens, sessionVersions, meta } = sqliteTablesFor(resolveNaming({ tablePrefix }).tablePrefix)
  return { tokens, sessionVersions, meta }
}

// biome-ignore lint/suspicious/noExplicitAny: any schema the user's drizzle instance was built with
export type SqliteDatabase = BaseSQLiteDatabase<'sync', any, any>

export type SqliteStoreOptions = (
  | { /** A database file; created if missing, opened in WAL mode. */ path: string }
  | {
      /** An open better-sqlite3 connection; Keyward leaves its pragmas and lifetime to you. */ client: Database.Database
    }
  | { /** Your drizzle instance on a synchronous SQLite driver (better-sqlite3). */ db: SqliteDatabase }
) & {
  /** Default `keyward_`. */
  tablePrefix?: string
  /**
   * Invalidations across processes on the same file (default true): a revoke or bump is written to
   * `<prefix>invalidations`, handed at once to instances in this process on the same file, and
   * seen by other processes at their next poll. Unused when a Redis shared cache is configured.
   */
  notify?: boolean
  /** How often other processes' invalidations are looked for (default `'250ms'`; a cheap PRAGMA when none). */
  pollInterval?: Duration
}

const KNOWN_OPTIONS = new Set(['path', 'client', 'db', 'tablePrefix', 'notify', 'pollInterval'])

/** The token store on SQLite (better-sqlite3 + drizzle). Statements are prepared once. */
export function sqliteStore(options: SqliteStoreOptions): KeywardStore {
  if (typeof options === 'object' && options !== null)
    assertKnownKeys(options, KNOWN_OPTIONS, (key) => `sqliteStore: unknown option ${JSON.stringify(key)}`)
  const naming = resolveNaming(options)
  let owned: Database.Database | null = null
  let db: SqliteDatabase
  if ('db' in options) {
    db = options.db
  } else if ('client' in options) {
    db = drizzle(options.client)
  } else if (typeof options.path === 'string' && options.path !== '') {
    owned = new Database(options.path)
    // WAL with synchronous=NORMAL: last-used writes stay cheap and readers never block (README, Stores).
    owned.pragma('journal_mode = WAL')
    owned.pragma('synchronous = NORMAL')
    owned.pragma('busy_timeout = 5000')
    db = drizzle(owned)
  } else {
    throw new KeywardError('invalid_option', 'sqliteStore() needs { path }, { client } or { db }.')
  }

  const pollInterval = toMilliseconds(options.pollInterval ?? 250, 'pollInterval')
  if (pollInterval < 10) {
    throw new KeywardError('invalid_option', `pollInterval must be at least 10 ms; got ${pollInterval}.`)
  }
  const bus =
    options.notify === false ? null : sqliteBus(db, { tablePrefix: naming.tablePrefix, pollInterval })

  const tables = sqliteTablesFor(naming.tablePrefix)
  const { tokens, sessionVersions, meta } = tables
  const migrator = sqliteMigrator(db, naming)
  // better-sqlite3 compiles a statement when it is prepared, so the tables must exist first.
  const prepareStatements = () => ({
    find: db
      .select()
      .from(tokens)
      .where(eq(tokens.id, sql.placeholder('id')))
      .prepare(),
    list: db
      .select()
      .from(tokens)
      .where(eq(tokens.userId, sql.placeholder('userId')))
      .orderBy(desc(tokens.createdAt), desc(tokens.id))
      .prepare(),
    getVersion: db
      .select({ version: sessionVersions.version })
      .from(sessionVersions)
      .where(eq(sessionVersions.userId, sql.placeholder('userId')))
      .prepare(),
  })
  let prepared: ReturnType<typeof prepareStatements> | null = null
  const statements = () => {
    prepared ??= prepareStatements()
    return prepared
  }

  let closed = false
  const open = () => {
    if (closed) throw new KeywardError('closed', 'This SQLite store is closed.')
  }
  // Created once: of concurrent creators the first wins, and every one reads back the same key.
  const insertKey = () =>
    db
      .insert(meta)
      .values({ name: DEPLOYMENT_KEY_NAME, value: newDeploymentKey() })
      .onConflictDoNothing()
      .run()
  const readKey = () =>
    db.select({ value: meta.value }).from(meta).where(eq(meta.name, DEPLOYMENT_KEY_NAME)).get()?.value

  return {
    dialect: 'sqlite',
    ...(bus ? { bus } : options.notify === false ? {} : { isolated: true }),
    async migrate(options) {
      open()
      migrator.migrate(options)
      insertKey()
    },
    async migrationStatus() {
      open()
      return migrator.status()
    },
    ...sqliteUpkeep(db, tokens, open),
    ...sqliteAudit(db, tables, open),
    async insertToken(row) {
      open()
      db.insert(tokens).values(toColumns(row)).run()
    },
    async findToken(id) {
      open()
      const found = statements().find.get({ id })
      return found ? fromColumns(found) : null
    },
    async listTokens(userId) {
      open()
      return statements().list.all({ userId }).map(fromColumns)
    },
    async listTokenPage(userId, query) {
      open()
      return db
        .select()
        .from(tokens)
        .where(tokenPageWhere(tokens, userId, query))
        .orderBy(desc(tokens.createdAt), desc(tokens.id))
        .limit(query.limit)
        .all()
        .map(fromColumns)
    },
    async updateToken(id, patch, expected) {
      open()
      const values = patchColumns(patch)
      if (Object.keys(values).length === 0) return this.findToken(id)
      const [updated] = db
        .update(tokens)
        .set(values)
        .where(and(eq(tokens.id, id), unchangedSince(tokens, expected)))
        .returning()
        .all()
      return updated ? fromColumns(updated) : null
    },
    async revokeToken(id, { revokedAt, reason, userId }) {
      open()
      const owner = userId === undefined ? undefined : eq(tokens.userId, userId)
      const [updated] = db
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.id, id), isNull(tokens.revokedAt), owner))
        .returning()
        .all()
      if (updated) return fromColumns(updated)
      const [current] = db
        .select()
        .from(tokens)
        .where(and(eq(tokens.id, id), owner))
        .all()
      return current ? fromColumns(current) : null
    },
    async revokeUserTokens(userId, { revokedAt, reason }) {
      open()
      return db
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.userId, userId), isNull(tokens.revokedAt)))
        .returning({ id: tokens.id })
        .all()
        .map((r) => r.id)
    },
    async touchTokens(uses) {
      open()
      if (uses.length === 0) return 0
      const values = sql.join(
        uses.map((u) => sql`(${u.id}, ${u.at})`),
        sql`, `,
      )
      const result = db.run(sql`
        WITH "uses"("id", "at") AS (VALUES ${values})
        UPDATE ${tokens} SET "last_used_at" = (SELECT max("at") FROM "uses" WHERE "uses"."id" = ${tokens.id})
        WHERE ${inArray(
          tokens.id,
          uses.map((u) => u.id),
        )}
          AND ("last_used_at" IS NULL OR "last_used_at" < (SELECT max("at") FROM "uses" WHERE "uses"."id" = ${tokens.id}))`)
      return result.changes
    },
    async getSessionVersion(userId) {
      open()
      return statements().getVersion.get({ userId })?.version ?? 0
    },
    async bumpSessionVersion(userId, at) {
      open()
      const [row] = db
        .insert(sessionVersions)
        .values({ userId, version: 1, updatedAt: at })
        .onConflictDoUpdate({
          target: sessionVersions.userId,
          set: { version: sql`${sessionVersions.version} + 1`, updatedAt: at },
        })
        .returning({ version: sessionVersions.version })
        .all()
      if (!row) throw new KeywardError('store_error', 'The session version upsert returned no row.')
      return row.version
    },
    async deploymentKey() {
      open()
      let value = readKey()
      if (value === undefined) {
        insertKey()
        value = readKey()
      }
      return decodeDeploymentKey(value)
    },
    async countActiveTokens(userId, now) {
      open()
      const [row] = db
        .select({ n: count() })
        .from(tokens)
        .where(and(eq(tokens.userId, userId), activeAt(tokens, now)))
        .all()
      return row?.n ?? 0
    },
    async close() {
      if (closed) return
      closed = true
      await bus?.close()
      owned?.close()
    },
  } satisfies KeywardStore
}
