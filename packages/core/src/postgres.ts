import { and, count, desc, eq, gt, isNull, or, type SQL, sql } from 'drizzle-orm'
import {
  bigint,
  index,
  type PgDatabase,
  type PgQueryResultHKT,
  pgSchema,
  pgTable,
  text,
} from 'drizzle-orm/pg-core'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { KeywardError } from './errors.js'
import { type InvalidationBus, type InvalidationMessage, parseInvalidation } from './shared-cache.js'
import { decodeDeploymentKey, newDeploymentKey } from './shared-trust.js'
import {
  DEPLOYMENT_KEY_NAME,
  fromColumns,
  type KeywardStore,
  patchColumns,
  resolveNaming,
  type StoreNaming,
  toColumns,
} from './store.js'

export function postgresTables({ schema, tablePrefix }: StoreNaming) {
  // Only the schema name differs at run time; the column types are the same either way.
  const table = (schema === null ? pgTable : pgSchema(schema).table) as typeof pgTable
  const tokens = table(
    `${tablePrefix}tokens`,
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
    },
    (t) => [index(`${tablePrefix}tokens_user_created_idx`).on(t.userId, t.createdAt)],
  )
  const sessionVersions = table(`${tablePrefix}session_versions`, {
    userId: text('user_id').primaryKey(),
    version: bigint('version', { mode: 'number' }).notNull(),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
  })
  const meta = table(`${tablePrefix}meta`, {
    name: text('name').primaryKey(),
    value: text('value').notNull(),
  })
  return { tokens, sessionVersions, meta }
}

/** Each entry runs once, in order, recorded in `<prefix>migrations`. Never edit one that shipped. */
function postgresMigrations(q: (name: string) => string, p: string): string[][] {
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
  ]
}

// biome-ignore lint/suspicious/noExplicitAny: any schema the user's drizzle instance was built with
export type PostgresDatabase = PgDatabase<PgQueryResultHKT, any, any>

export type PostgresStoreOptions = (
  | { /** A `postgres://` URL; Keyward opens (and closes) its own postgres.js pool. */ url: string }
  | { /** Your postgres.js client; Keyward never ends it. */ client: postgres.Sql }
  | {
      /** Your drizzle instance on any Postgres driver (postgres.js, node-postgres, …). */ db: PostgresDatabase
    }
) & {
  /** A Postgres schema for Keyward's tables, created by `migrate()`. Default: the search path. */
  schema?: string
  /** Default `keyward_`. */
  tablePrefix?: string
  /**
   * Invalidation across processes by LISTEN/NOTIFY (default true; needs `url` or `client`, since
   * it talks to postgres.js directly). Unused when a Redis shared cache is configured.
   */
  notify?: boolean
}

/** NOTIFY carries at most 8000 bytes: long id lists go out in several messages. */
const NOTIFY_IDS_PER_MESSAGE = 200

function notifyBus(sql: postgres.Sql, naming: StoreNaming): InvalidationBus {
  // A channel is an identifier: at most 63 bytes.
  const channel = `keyward_${naming.schema ?? ''}_${naming.tablePrefix}inval`.slice(0, 63)
  let listening: { unlisten(): Promise<void> } | null = null
  return {
    async publish(message: InvalidationMessage) {
      const { tokens = [], ...rest } = message
      // One that fits goes out whole, with its signature; only an unsigned one is split.
      if (tokens.length <= NOTIFY_IDS_PER_MESSAGE && !(message.tokens && message.user)) {
        await sql.notify(channel, JSON.stringify(message))
        return
      }
      const messages: InvalidationMessage[] = []
      for (let i = 0; i < tokens.length; i += NOTIFY_IDS_PER_MESSAGE) {
        messages.push({ tokens: tokens.slice(i, i + NOTIFY_IDS_PER_MESSAGE) })
      }
      if (rest.user) messages.push({ user: rest.user })
      for (const m of messages) await sql.notify(channel, JSON.stringify(m))
    },
    async subscribe(onMessage, onGap) {
      let connectedOnce = false
      listening = await sql.listen(
        channel,
        (payload) => {
          const message = parseInvalidation(payload)
          if (message) onMessage(message)
        },
        () => {
          // Called on every (re)connection: after a drop, notifications may have been missed.
          if (connectedOnce) onGap()
          connectedOnce = true
        },
      )
    },
    async close() {
      await listening?.unlisten().catch(() => {})
      listening = null
    },
  }
}

/** Rows from `execute()`, whichever driver: postgres.js returns an array, node-postgres `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

/** The token store on Postgres (postgres.js + drizzle, or your own drizzle instance). */
export function postgresStore(options: PostgresStoreOptions): KeywardStore {
  const naming = resolveNaming(options)
  let owned: postgres.Sql | null = null
  let client: postgres.Sql | null = null
  let db: PostgresDatabase
  if ('db' in options) {
    db = options.db
  } else if ('client' in options) {
    client = options.client
    db = drizzle(options.client)
  } else if (typeof options.url === 'string' && /^postgres(ql)?:\/\//.test(options.url)) {
    owned = postgres(options.url, {
      max: 10,
      // Fail fast so an outage answers 503 in seconds, not after postgres.js's 30 s default.
      connect_timeout: 5,
      idle_timeout: 60,
      onnotice: () => {},
      // Keyward's tables have no array columns. Fetching array types costs a query per connection,
      // and when that connection fails postgres.js rejects it where no caller can catch it.
      fetch_types: false,
    })
    client = owned
    db = drizzle(owned)
  } else {
    throw new KeywardError(
      'invalid_option',
      'postgresStore() needs { url: "postgres://…" }, { client } or { db }.',
    )
  }

  const { tokens, sessionVersions, meta } = postgresTables(naming)
  const q = (name: string) => (naming.schema ? `"${naming.schema}"."${name}"` : `"${name}"`)
  const migrationsTable = q(`${naming.tablePrefix}migrations`)
  // Statement names must differ between stores that share a connection but not their tables.
  const statement = (name: string) => `keyward_${naming.schema ?? ''}_${naming.tablePrefix}${name}`
  const find = db
    .select()
    .from(tokens)
    .where(eq(tokens.id, sql.placeholder('id')))
    .prepare(statement('find'))
  const list = db
    .select()
    .from(tokens)
    .where(eq(tokens.userId, sql.placeholder('userId')))
    .orderBy(desc(tokens.createdAt), desc(tokens.id))
    .prepare(statement('list'))
  const getVersion = db
    .select({ version: sessionVersions.version })
    .from(sessionVersions)
    .where(eq(sessionVersions.userId, sql.placeholder('userId')))
    .prepare(statement('version'))

  let closed = false
  const open = () => {
    if (closed) throw new KeywardError('closed', 'This Postgres store is closed.')
  }
  const bus = client !== null && options.notify !== false ? notifyBus(client, naming) : undefined
  // Created once: of concurrent creators the first wins, and every one reads back the same key.
  const insertKey = (on: Pick<PostgresDatabase, 'insert'>) =>
    on.insert(meta).values({ name: DEPLOYMENT_KEY_NAME, value: newDeploymentKey() }).onConflictDoNothing()
  const readKey = async () =>
    (await db.select({ value: meta.value }).from(meta).where(eq(meta.name, DEPLOYMENT_KEY_NAME)))[0]?.value

  return {
    dialect: 'postgres',
    ...(bus ? { bus } : {}),
    async migrate() {
      open()
      await db.transaction(async (tx) => {
        // Serialise concurrent migrations from several processes (CREATE … IF NOT EXISTS alone races).
        await tx.execute(
          sql`SELECT pg_advisory_xact_lock(hashtext(${`keyward:${naming.schema}:${naming.tablePrefix}`}))`,
        )
        if (naming.schema) await tx.execute(sql.raw(`CREATE SCHEMA IF NOT EXISTS "${naming.schema}"`))
        await tx.execute(
          sql.raw(
            `CREATE TABLE IF NOT EXISTS ${migrationsTable} ("version" INTEGER PRIMARY KEY, "applied_at" BIGINT NOT NULL)`,
          ),
        )
        const applied = new Set(
          rowsOf<{ version: number }>(
            await tx.execute(sql.raw(`SELECT "version" FROM ${migrationsTable}`)),
          ).map((r) => Number(r.version)),
        )
        const migrations = postgresMigrations(q, naming.tablePrefix)
        for (const [index, statements] of migrations.entries()) {
          const version = index + 1
          if (applied.has(version)) continue
          for (const ddl of statements) await tx.execute(sql.raw(ddl))
          await tx.execute(
            sql`INSERT INTO ${sql.raw(migrationsTable)} ("version", "applied_at") VALUES (${version}, ${Date.now()})`,
          )
        }
        await insertKey(tx)
      })
    },
    async insertToken(row) {
      open()
      await db.insert(tokens).values(toColumns(row))
    },
    async findToken(id) {
      open()
      const [found] = await find.execute({ id })
      return found ? fromColumns(found) : null
    },
    async listTokens(userId) {
      open()
      return (await list.execute({ userId })).map(fromColumns)
    },
    async updateToken(id, patch, expected) {
      open()
      const values = patchColumns(patch)
      if (Object.keys(values).length === 0) return this.findToken(id)
      const unchanged =
        expected === undefined
          ? undefined
          : and(
              isNull(tokens.revokedAt),
              expected.expiresAt === null
                ? isNull(tokens.expiresAt)
                : eq(tokens.expiresAt, expected.expiresAt),
            )
      const [updated] = await db
        .update(tokens)
        .set(values)
        .where(and(eq(tokens.id, id), unchanged))
        .returning()
      return updated ? fromColumns(updated) : null
    },
    async revokeToken(id, { revokedAt, reason, userId }) {
      open()
      const owner = userId === undefined ? undefined : eq(tokens.userId, userId)
      const [updated] = await db
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.id, id), isNull(tokens.revokedAt), owner))
        .returning()
      if (updated) return fromColumns(updated)
      const [current] = await db
        .select()
        .from(tokens)
        .where(and(eq(tokens.id, id), owner))
      return current ? fromColumns(current) : null
    },
    async revokeUserTokens(userId, { revokedAt, reason }) {
      open()
      const revoked = await db
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.userId, userId), isNull(tokens.revokedAt)))
        .returning({ id: tokens.id })
      return revoked.map((r) => r.id)
    },
    async touchTokens(uses) {
      open()
      if (uses.length === 0) return 0
      const values: SQL = sql.join(
        uses.map((u) => sql`(${u.id}::text, ${u.at}::bigint)`),
        sql`, `,
      )
      const result = await db.execute(sql`
        UPDATE ${tokens} AS t SET "last_used_at" = u."at"
        FROM (SELECT "id", max("at") AS "at" FROM (VALUES ${values}) AS v("id", "at") GROUP BY "id") AS u
        WHERE t."id" = u."id" AND (t."last_used_at" IS NULL OR t."last_used_at" < u."at")
        RETURNING t."id"`)
      return rowsOf(result).length
    },
    async getSessionVersion(userId) {
      open()
      const [row] = await getVersion.execute({ userId })
      return row?.version ?? 0
    },
    async bumpSessionVersion(userId, at) {
      open()
      const [row] = await db
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
      open()
      let value = await readKey()
      if (value === undefined) {
        await insertKey(db)
        value = await readKey()
      }
      return decodeDeploymentKey(value)
    },
    async countActiveTokens(userId, now) {
      open()
      const [row] = await db
        .select({ n: count() })
        .from(tokens)
        .where(
          and(
            eq(tokens.userId, userId),
            isNull(tokens.revokedAt),
            or(isNull(tokens.expiresAt), gt(tokens.expiresAt, now)),
          ),
        )
      return Number(row?.n ?? 0)
    },
    async close() {
      if (closed) return
      closed = true
      await bus?.close()
      await owned?.end({ timeout: 5 })
    },
  } satisfies KeywardStore
}
