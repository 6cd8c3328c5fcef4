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
  parseMetadata,
  parseScopes,
  patchColumns,
  resolveNaming,
  type StoreNaming,
  type TokenRow,
  toColumns,
} from './store.js'
import { withTimeout } from './timeout.js'
import { tokenPageWhere } from './token-page-query.js'

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
      description: text('description'),
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
    [`ALTER TABLE ${q(`${p}tokens`)} ADD COLUMN IF NOT EXISTS "description" TEXT`],
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

const UNLISTEN_TIMEOUT_MS = 1000

/** NOTIFY carries at most 8000 bytes: long id lists go out in several messages. */
const NOTIFY_IDS_PER_MESSAGE = 200

/**
 * LISTEN/NOTIFY: `listener` holds the listening connection (postgres.js opens one of its own for it,
 * outside the pool), and NOTIFY goes out on whatever pool `publisher` returns, so that a bus adds one
 * connection to a store, not two.
 */
function notifyBus(
  publisher: () => postgres.Sql,
  listener: postgres.Sql,
  naming: StoreNaming,
): InvalidationBus {
  // A channel is an identifier: at most 63 bytes.
  const channel = `keyward_${naming.schema ?? ''}_${naming.tablePrefix}inval`.slice(0, 63)
  let listening: { unlisten(): Promise<void> } | null = null
  return {
    async publish(message: InvalidationMessage) {
      const { tokens = [], ...rest } = message
      // One that fits goes out whole, with its signature; only an unsigned one is split.
      if (tokens.length <= NOTIFY_IDS_PER_MESSAGE && !(message.tokens && message.user)) {
        await publisher().notify(channel, JSON.stringify(message))
        return
      }
      const messages: InvalidationMessage[] = []
      for (let i = 0; i < tokens.length; i += NOTIFY_IDS_PER_MESSAGE) {
        messages.push({ tokens: tokens.slice(i, i + NOTIFY_IDS_PER_MESSAGE) })
      }
      if (rest.user) messages.push({ user: rest.user })
      for (const m of messages) await publisher().notify(channel, JSON.stringify(m))
    },
    async subscribe(onMessage, onGap) {
      let connectedOnce = false
      listening = await listener.listen(
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
      const unlistening = listening?.unlisten()
      listening = null
      // On a connection that silently stopped answering, UNLISTEN never returns: do not wait for it.
      if (unlistening) await withTimeout(unlistening, UNLISTEN_TIMEOUT_MS).catch(() => {})
    },
  }
}

/** Rows from `execute()`, whichever driver: postgres.js returns an array, node-postgres `{ rows }`. */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[]
  return ((result as { rows?: T[] }).rows ?? []) as T[]
}

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

/** How long a cancelled read may take to let go before its pool is taken for stuck (owned pools only). */
const CANCEL_GRACE_MS = 1000

/**
 * Asks the server to cancel a query (or drops it from postgres.js's queue if not yet sent). Calls
 * the canceller itself where it can: `query.cancel()` drops the promise of the cancel request, which
 * rejects unhandled when the server cannot be reached.
 */
function cancelQuery(query: { cancel(): unknown }) {
  const internal = query as unknown as { canceller?: ((q: unknown) => unknown) | null }
  if (typeof internal.canceller === 'function') {
    const canceller = internal.canceller
    internal.canceller = null
    Promise.resolve(canceller(query)).catch(() => {})
  } else {
    query.cancel()
  }
}

/** The token store on Postgres (postgres.js + drizzle, or your own drizzle instance). */
export function postgresStore(options: PostgresStoreOptions): KeywardStore {
  const naming = resolveNaming(options)
  // With `url`, Keyward owns the pool and replaces it when its connections are stuck; the bus then
  // has a postgres.js instance of its own for LISTEN, so that a replacement does not end it.
  let openOwned: ((max: number) => postgres.Sql) | null = null
  let owned: postgres.Sql | null = null
  let client: postgres.Sql | null = null
  let busClient: postgres.Sql | null = null
  let ownedBus: postgres.Sql | null = null
  let userDb: PostgresDatabase | null = null
  if ('db' in options) {
    userDb = options.db
  } else if ('client' in options) {
    client = options.client
    busClient = client
  } else if (typeof options.url === 'string' && /^postgres(ql)?:\/\//.test(options.url)) {
    const url = options.url
    openOwned = (max) =>
      postgres(url, {
        max,
        // Fail fast so an outage answers 503 in seconds, not after postgres.js's 30 s default.
        connect_timeout: 5,
        idle_timeout: 60,
        onnotice: () => {},
        // Keyward's tables have no array columns. Fetching array types costs a query per connection,
        // and when that connection fails postgres.js rejects it where no caller can catch it.
        fetch_types: false,
      })
    owned = openOwned(10)
    client = owned
    if (options.notify !== false) {
      ownedBus = openOwned(1)
      busClient = ownedBus
    }
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
  const prepare = (db: PostgresDatabase) => ({
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
  let current = prepare(userDb ?? drizzle(client as postgres.Sql))
  // The reads on the request path go to postgres.js directly when there is one, to be cancellable.
  const tokensTable = q(`${naming.tablePrefix}tokens`)
  const findSql = `SELECT "id", "user_id" AS "userId", "name", "prefix", "secret_hash" AS "secretHash", "scopes",
    "expires_at" AS "expiresAt", "last_used_at" AS "lastUsedAt", "created_at" AS "createdAt",
    "revoked_at" AS "revokedAt", "revoked_reason" AS "revokedReason", "metadata", "description"
    FROM ${tokensTable} WHERE "id" = $1`
  const versionSql = `SELECT "version" FROM ${q(`${naming.tablePrefix}session_versions`)} WHERE "user_id" = $1`

  let closed = false
  const open = () => {
    if (closed) throw new KeywardError('closed', 'This Postgres store is closed.')
  }

  /** Ends a pool whose connections are stuck (a half-open connection), for a fresh one. */
  const recycle = (stale: postgres.Sql) => {
    if (closed || openOwned === null || owned !== stale) return
    owned = openOwned(10)
    client = owned
    current = prepare(drizzle(owned))
    // With no wait, its queries (the stuck ones included) reject at once.
    stale.end({ timeout: 0 }).catch(() => {})
  }

  /** Runs a read that `signal` cancels; a cancelled read that does not let go marks its pool stuck. */
  const cancellable = async <T extends postgres.Row>(
    sqlText: string,
    parameters: string[],
    signal: AbortSignal,
  ): Promise<T[]> => {
    const pool = client as postgres.Sql
    const query = pool.unsafe<T[]>(sqlText, parameters, { prepare: true })
    let settled = false
    const onAbort = () => {
      cancelQuery(query)
      if (openOwned !== null) {
        setTimeout(() => {
          if (!settled) recycle(pool)
        }, CANCEL_GRACE_MS).unref()
      }
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await query
    } finally {
      settled = true
      signal.removeEventListener('abort', onAbort)
    }
  }

  const bus =
    busClient !== null && options.notify !== false
      ? notifyBus(() => client ?? (busClient as postgres.Sql), busClient, naming)
      : undefined
  // Created once: of concurrent creators the first wins, and every one reads back the same key.
  const insertKey = (on: Pick<PostgresDatabase, 'insert'>) =>
    on.insert(meta).values({ name: DEPLOYMENT_KEY_NAME, value: newDeploymentKey() }).onConflictDoNothing()
  const readKey = async () =>
    (await current.db.select({ value: meta.value }).from(meta).where(eq(meta.name, DEPLOYMENT_KEY_NAME)))[0]
      ?.value

  return {
    dialect: 'postgres',
    ...(bus ? { bus } : {}),
    async migrate() {
      open()
      await current.db.transaction(async (tx) => {
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
      await current.db.insert(tokens).values(toColumns(row))
    },
    async findToken(id, signal) {
      open()
      if (signal !== undefined && client !== null) {
        const [raw] = await cancellable<RawTokenRow>(findSql, [id], signal)
        return raw ? fromRaw(raw) : null
      }
      const [found] = await current.find.execute({ id })
      return found ? fromColumns(found) : null
    },
    async listTokens(userId) {
      open()
      return (await current.list.execute({ userId })).map(fromColumns)
    },
    async listTokenPage(userId, query) {
      open()
      const rows = await current.db
        .select()
        .from(tokens)
        .where(tokenPageWhere(tokens, userId, query))
        .orderBy(desc(tokens.createdAt), desc(tokens.id))
        .limit(query.limit)
      return rows.map(fromColumns)
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
              expected.revokedReason === null ? isNull(tokens.revokedReason) : undefined,
            )
      const [updated] = await current.db
        .update(tokens)
        .set(values)
        .where(and(eq(tokens.id, id), unchanged))
        .returning()
      return updated ? fromColumns(updated) : null
    },
    async revokeToken(id, { revokedAt, reason, userId }) {
      open()
      const owner = userId === undefined ? undefined : eq(tokens.userId, userId)
      const [updated] = await current.db
        .update(tokens)
        .set({ revokedAt, revokedReason: reason })
        .where(and(eq(tokens.id, id), isNull(tokens.revokedAt), owner))
        .returning()
      if (updated) return fromColumns(updated)
      const [now] = await current.db
        .select()
        .from(tokens)
        .where(and(eq(tokens.id, id), owner))
      return now ? fromColumns(now) : null
    },
    async revokeUserTokens(userId, { revokedAt, reason }) {
      open()
      const revoked = await current.db
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
      const result = await current.db.execute(sql`
        UPDATE ${tokens} AS t SET "last_used_at" = u."at"
        FROM (SELECT "id", max("at") AS "at" FROM (VALUES ${values}) AS v("id", "at") GROUP BY "id") AS u
        WHERE t."id" = u."id" AND (t."last_used_at" IS NULL OR t."last_used_at" < u."at")
        RETURNING t."id"`)
      return rowsOf(result).length
    },
    async getSessionVersion(userId, signal) {
      open()
      if (signal !== undefined && client !== null) {
        const [raw] = await cancellable<{ version: unknown }>(versionSql, [userId], signal)
        return raw ? Number(raw.version) : 0
      }
      const [row] = await current.getVersion.execute({ userId })
      return row?.version ?? 0
    },
    async bumpSessionVersion(userId, at) {
      open()
      const [row] = await current.db
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
        await insertKey(current.db)
        value = await readKey()
      }
      return decodeDeploymentKey(value)
    },
    async countActiveTokens(userId, now) {
      open()
      const [row] = await current.db
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
      await Promise.all([owned?.end({ timeout: 5 }), ownedBus?.end({ timeout: 5 })])
    },
  } satisfies KeywardStore
}
