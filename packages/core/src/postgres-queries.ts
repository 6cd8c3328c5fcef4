/**
 * The Postgres store's queries: drizzle chains for the writes and the admin reads, and plain SQL
 * for the reads of the request path (sent to postgres.js directly, to be cancellable).
 */
import { and, count, desc, eq, isNull, type SQL, sql } from 'drizzle-orm'
import { postgresTablesFor } from './drizzle/postgres.js'
import { KeywardError } from './errors.js'
import { postgresAudit } from './postgres-audit.js'
import type { PostgresConnection, PostgresDatabase } from './postgres-connection.js'
import { postgresMigrator, rowsOf } from './postgres-migrations.js'
import { postgresUpkeep } from './postgres-upkeep.js'
import { decodeDeploymentKey, newDeploymentKey } from './shared-trust.js'
import { DEPLOYMENT_KEY_NAME, type KeywardStore, type TokenRow } from './store.js'
import { fromColumns, parseMetadata, parseScopes, patchColumns, toColumns } from './store-columns.js'
import { activeAt, unchangedSince } from './store-conditions.js'
import { tableName } from './store-ddl.js'
import type { StoreNaming } from './store-naming.js'
import { type ColumnSpec, TABLES } from './store-schema.js'
import { tokenPageWhere } from './token-page-query.js'

export { rowsOf } from './postgres-migrations.js'

/** A row of the tokens table as postgres.js returns it (BIGINT as a string). */
type RawTokenRow = { [K in keyof TokenRow]: unknown }

function fromRaw(raw: RawTokenRow): TokenRow {
  const time = (value: unknown) => (value === null ? null : Number(value))
  return {
    id: String(raw.id),
    userId: String(raw.userId),
    name: String(raw.name),
    prefix: String(raw.prefix),
    secretHash: String(raw.secretHash),
    scopes: parseScopes(String(raw.scopes)),
    expiresAt: time(raw.expiresAt),
    lastUsedAt: time(raw.lastUsedAt),
    createdAt: Number(raw.createdAt),
    revokedAt: time(raw.revokedAt),
    revokedReason: raw.revokedReason === null ? null : String(raw.revokedReason),
    metadata: parseMetadata(raw.metadata === null ? null : String(raw.metadata)),
    description: raw.description === null ? null : String(raw.description),
  }
}

/** `SELECT` of every token column under its property name, from the shared description. */
function tokenColumnsSql(): string {
  return Object.entries(TABLES.tokens.columns as Record<string, ColumnSpec>)
    .map(([key, { name }]) => (key === name ? `"${name}"` : `"${name}" AS "${key}"`))
    .join(', ')
}

/** The drizzle instance with the statements prepared on it (again after a pool is replaced). */
export function statementsFor(naming: StoreNaming) {
  const { tokens, sessionVersions } = postgresTablesFor(naming)
  // Statement names must differ between stores that share a connection but not their tables.
  const statement = (name: string) => `keyward_${naming.schema ?? ''}_${naming.tablePrefix}${name}`
  return (db: PostgresDatabase) => ({
    db,
    list: db
      .select()
      .from(tokens)
      .where(eq(tokens.userId, sql.placeholder('userId')))
      .orderBy(desc(tokens.createdAt), desc(tokens.id))
      .prepare(statement('list')),
    find: db
      .select()
      .from(tokens)
      .where(eq(tokens.id, sql.placeholder('id')))
      .prepare(statement('find')),
    getVersion: db
      .select({ version: sessionVersions.version })
      .from(sessionVersions)
      .where(eq(sessionVersions.userId, sql.placeholder('userId')))
      .prepare(statement('version')),
  })
}

export type PostgresStatements = ReturnType<ReturnType<typeof statementsFor>>

/** Every method of the store but `close`, on `connection`. */
export function postgresMethods(connection: PostgresConnection<PostgresStatements>, naming: StoreNaming) {
  const tables = postgresTablesFor(naming)
  const { tokens, sessionVersions, meta } = tables
  const migrator = postgresMigrator(naming)
  const findSql = `SELECT ${tokenColumnsSql()} FROM ${tableName('postgres', naming, TABLES.tokens.name)} WHERE "id" = $1`
  const versionSql = `SELECT "version" FROM ${tableName('postgres', naming, TABLES.sessionVersions.name)} WHERE "user_id" = $1`
  const db = () => connection.prepared.db
  // Created once: of concurrent creators the first wins, and every one reads back the same key.
  const insertKey = (on: Pick<PostgresDatabase, 'insert'>) =>
    on.insert(meta).values({ name: DEPLOYMENT_KEY_NAME, value: newDeploymentKey() }).onConflictDoNothing()
  const readKey = async () =>
    (await db().select({ value: meta.value }).from(meta).where(eq(meta.name, DEPLOYMENT_KEY_NAME)))[0]?.value

  return {
    async migrate(options = {}) {
      connection.open()
      await migrator.migrate(db(), options, insertKey)
    },
    async migrationStatus() {
      connection.open()
      return migrator.status(db())
    },
    ...postgresUpkeep(db, tokens, () => connection.open()),
    ...postgresAudit(db, tables, () => connection.open()),
    async insertToken(row) {
      connection.open()
      await db().insert(tokens).values(toColumns(row))
    },
    async findToken(id, signal) {
      connection.open()
      if (signal !== undefined && connection.client !== null) {
        const [raw] = await connection.cancellable<RawTokenRow>(findSql, [id], signal)
        return raw ? fromRaw(raw) : null
      }
      const [found] = await connection.prepared.find.execute({ id })
      return found ? fromColumns(found) : null
    },
    async listTokens(userId) {
      connection.open()
      return (await connection.prepared.list.execute({ userId })).map(fromColumns)
    },
    async listTokenPage(userId, query) {
      connection.open()
      const rows = await db()
        .select()
        .from(tokens)
        .where(tokenPageWhere(tokens, userId, query))
        .orderBy(desc(tokens.createdAt), desc(tokens.id))
        .limit(query.limit)
      return rows.map(fromColumns)
    },
    async updateToken(id, patch, expected) {
      connection.open()
      const values = patchColumns(patch)
      if (Object.keys(values).length === 0) return this.findToken(id)
      const [updated] = await db()
        .update(tokens)
        .set(values)
        .where(and(eq(tokens.id, id), unchangedSince(tokens, expected)))
        .returning()
      return updated ? fromColumns(updated) : null
    },
    async revokeToken(id, { revokedAt, reason, userId }) {
      connection.open()
      const owner = userId === undefined ? undefined : eq(tokens.userId, userId)
      const [updated] = await db()
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.id, id), isNull(tokens.revokedAt), owner))
        .returning()
      if (updated) return fromColumns(updated)
      const [now] = await db()
        .select()
        .from(tokens)
        .where(and(eq(tokens.id, id), owner))
      return now ? fromColumns(now) : null
    },
    async revokeUserTokens(userId, { revokedAt, reason }) {
      connection.open()
      const revoked = await db()
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.userId, userId), isNull(tokens.revokedAt)))
        .returning({ id: tokens.id })
      return revoked.map((r) => r.id)
    },
    async touchTokens(uses) {
      connection.open()
      if (uses.length === 0) return 0
      const values: SQL = sql.join(
        uses.map((u) => sql`(${u.id}::text, ${u.at}::bigint)`),
        sql`, `,
      )
      const result = await db().execute(sql`
        UPDATE ${tokens} AS t SET "last_used_at" = u."at"
        FROM (SELECT "id", max("at") AS "at" FROM (VALUES ${values}) AS v("id", "at") GROUP BY "id") AS u
        WHERE t."id" = u."id" AND (t."last_used_at" IS NULL OR t."last_used_at" < u."at")
        RETURNING t."id"`)
      return rowsOf(result).length
    },
    async getSessionVersion(userId, signal) {
      connection.open()
      if (signal !== undefined && connection.client !== null) {
        const [raw] = await connection.cancellable<{ version: unknown }>(versionSql, [userId], signal)
        return raw ? Number(raw.version) : 0
      }
      const [row] = await connection.prepared.getVersion.execute({ userId })
      return row?.version ?? 0
    },
    async bumpSessionVersion(userId, at) {
      connection.open()
      const [row] = await db()
        .insert(sessionVersions)
        .values({ userId, version: 1, updatedAt: at })
        .onConflictDoUpdate({
          target: sessionVersions.userId,
          set: { version: sql`${sessionVersions.version} + 1`, updatedAt: at },
        })
        .returning({ version: sessionVersions.version })
      if (!row) throw new KeywardError('store_error', 'The session version upsert returned no row.')
      return row.version
    },
    async deploymentKey() {
      connection.open()
      let value = await readKey()
      if (value === undefined) {
        await insertKey(db())
        value = await readKey()
      }
      return decodeDeploymentKey(value)
    },
    async countActiveTokens(userId, now) {
      connection.open()
      const [row] = await db()
        .select({ n: count() })
        .from(tokens)
        .where(and(eq(tokens.userId, userId), activeAt(tokens, now)))
      return Number(row?.n ?? 0)
    },
  } satisfies Omit<KeywardStore, 'dialect' | 'close'>
}
