import { and, count, desc, eq, gt, isNull, or, type SQL, sql } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import { postgresMigrations, postgresMigrationsTableSql, postgresTablesFor } from './drizzle/postgres.js'
import { KeywardError } from './errors.js'
import { type Listener, listenerFor, notifyBus, postgresJsListener, urlListener } from './pg-listen.js'
import type { InvalidationBus } from './shared-cache.js'
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
import { tokenPageWhere } from './token-page-query.js'

/** The store's tables (`keywardTables()` in `@keyward/core/drizzle/postgres` has the bookkeeping one too). */
export function postgresTables(naming: StoreNaming) {
  const { tokens, sessionVersions, meta } = postgresTablesFor(naming)
  return { tokens, sessionVersions, meta }
}

// biome-ignore lint/suspicious/noExplicitAny: any schema the user's drizzle instance was built with
export type PostgresDatabase = PgDatabase<PgQueryResultHKT, any, any>

export type PostgresStoreOptions = (
  | { /** A `postgres://` URL; Keyward opens (and closes) its own postgres.js pool. */ url: string }
  | { /** Your postgres.js client; Keyward never ends it. */ client: postgres.Sql }
  | {
      /**
       * Your drizzle instance on any Postgres driver. On postgres.js it LISTENs on your client; on
       * node-postgres (`pg`) on one dedicated `Client` with your pool's settings; on any other
       * driver, pass `listen: { url }` (or use Redis), else revocations reach other processes only
       * when their cache entries expire.
       */ db: PostgresDatabase
    }
) & {
  /** A Postgres schema for Keyward's tables, created by `migrate()`. Default: the search path. */
  schema?: string
  /** Default `keyward_`. */
  tablePrefix?: string
  /**
   * Invalidation across processes by LISTEN/NOTIFY (default true). Unused when a Redis shared cache
   * is configured.
   */
  notify?: boolean
  /**
   * LISTEN on a connection of its own to this URL (with postgres.js if installed, else `pg`): for a
   * `db` on a driver Keyward cannot listen through (an HTTP or serverless driver, say).
   */
  listen?: { url: string }
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

type PostgresJs = { postgres: typeof postgres; drizzle: typeof drizzlePostgresJs }

/** postgres.js and its drizzle driver, imported only by a store that talks to postgres.js itself. */
async function loadPostgresJs(mode: 'url' | 'client'): Promise<PostgresJs> {
  try {
    const [{ default: connect }, { drizzle }] = await Promise.all([
      import('postgres'),
      import('drizzle-orm/postgres-js'),
    ])
    return { postgres: connect, drizzle }
  } catch (error) {
    throw new KeywardError(
      'invalid_option',
      `postgresStore({ ${mode} }) needs the "postgres" package (postgres.js): npm install postgres, or pass your own drizzle instance as { db }.`,
      { cause: error },
    )
  }
}

function listenUrl(listen: unknown): string {
  const url = (listen as { url?: unknown } | null)?.url
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
    throw new KeywardError('invalid_option', 'listen must be { url: "postgres://…" }.')
  }
  return url
}

/** The store with every call held until its driver is loaded (a failed load rejects each call). */
function afterLoading<S extends KeywardStore>(store: S, loading: Promise<void>): S {
  let loaded = false
  loading.then(
    () => {
      loaded = true
    },
    () => {},
  )
  const held = { ...store } as unknown as Record<string, unknown>
  for (const [name, value] of Object.entries(store)) {
    if (typeof value !== 'function' || name === 'close') continue
    const method = value as (...args: unknown[]) => Promise<unknown>
    held[name] = (...args: unknown[]) =>
      loaded ? method.apply(store, args) : loading.then(() => method.apply(store, args))
  }
  held.close = async () => {
    await loading.catch(() => {})
    await store.close()
  }
  return held as unknown as S
}

/** The token store on Postgres (postgres.js + drizzle, or your own drizzle instance). */
export function postgresStore(options: PostgresStoreOptions): KeywardStore {
  const naming = resolveNaming(options)
  // With `url`, Keyward owns the pool and replaces it when its connections are stuck; the bus then
  // has a postgres.js instance of its own for LISTEN, so that a replacement does not end it.
  // postgres.js is loaded only here, for `url` and `client`: an app on another driver needs none.
  let openOwned: ((max: number) => postgres.Sql) | null = null
  let drizzleOn: typeof drizzlePostgresJs | null = null
  let owned: postgres.Sql | null = null
  let client: postgres.Sql | null = null
  let ownedBus: postgres.Sql | null = null
  let userDb: PostgresDatabase | null = null
  let loading: Promise<void> | null = null
  let listener: Listener | null = null
  const wantsBus = options.notify !== false && options.listen === undefined
  if ('db' in options) {
    userDb = options.db
    if (wantsBus) listener = listenerFor((options.db as { $client?: unknown }).$client)
  } else if ('client' in options) {
    const given = options.client
    client = given
    loading = loadPostgresJs('client').then(({ drizzle }) => {
      drizzleOn = drizzle
      current = prepare(drizzle(given))
    })
    if (wantsBus) listener = postgresJsListener(() => given)
  } else if (typeof options.url === 'string' && /^postgres(ql)?:\/\//.test(options.url)) {
    const url = options.url
    loading = loadPostgresJs('url').then(({ postgres: connect, drizzle }) => {
      const open = (max: number) =>
        connect(url, {
          max,
          // Fail fast so an outage answers 503 in seconds, not after postgres.js's 30 s default.
          connect_timeout: 5,
          idle_timeout: 60,
          onnotice: () => {},
          // Keyward's tables have no array columns. Fetching array types costs a query per connection,
          // and when that connection fails postgres.js rejects it where no caller can catch it.
          fetch_types: false,
        })
      openOwned = open
      drizzleOn = drizzle
      owned = open(10)
      client = owned
      current = prepare(drizzle(owned))
    })
    if (wantsBus) {
      listener = postgresJsListener(async () => {
        await loading
        ownedBus ??= (openOwned as (max: number) => postgres.Sql)(1)
        return ownedBus
      })
    }
  } else {
    throw new KeywardError(
      'invalid_option',
      'postgresStore() needs { url: "postgres://…" }, { client } or { db }.',
    )
  }
  if (options.notify !== false && options.listen !== undefined)
    listener = urlListener(listenUrl(options.listen))
  // Not awaited by anyone until the first call: the error then reaches that caller.
  loading?.catch(() => {})

  const { tokens, sessionVersions, meta } = postgresTablesFor(naming)
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
  // Until postgres.js is loaded (`url`, `client`) every call waits for it (see `afterLoading`).
  let current = userDb === null ? (null as unknown as ReturnType<typeof prepare>) : prepare(userDb)
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
    current = prepare((drizzleOn as typeof drizzlePostgresJs)(owned))
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

  // A channel is an identifier: at most 63 bytes.
  const channel = `keyward_${naming.schema ?? ''}_${naming.tablePrefix}inval`.slice(0, 63)
  // NOTIFY on the store's own connection, whatever the driver.
  const bus: InvalidationBus | undefined =
    listener === null
      ? undefined
      : notifyBus(
          async (name, payload) => {
            await loading
            await current.db.execute(sql`SELECT pg_notify(${name}, ${payload})`)
          },
          listener,
          channel,
        )
  // Created once: of concurrent creators the first wins, and every one reads back the same key.
  const insertKey = (on: Pick<PostgresDatabase, 'insert'>) =>
    on.insert(meta).values({ name: DEPLOYMENT_KEY_NAME, value: newDeploymentKey() }).onConflictDoNothing()
  const readKey = async () =>
    (await current.db.select({ value: meta.value }).from(meta).where(eq(meta.name, DEPLOYMENT_KEY_NAME)))[0]
      ?.value

  const store = {
    dialect: 'postgres',
    ...(bus ? { bus } : {}),
    async migrate() {
      open()
      await current.db.transaction(async (tx) => {
        // Serialise concurrent migrations from several processes (CREATE … IF NOT EXISTS alone races).
        await tx.execute(
          sql`SELECT pg_advisory_xact_lock(hashtext(${`keyward:${naming.schema}:${naming.tablePrefix}`}))`,
        )
        for (const ddl of postgresMigrationsTableSql(naming)) await tx.execute(sql.raw(ddl))
        const applied = new Set(
          rowsOf<{ version: number }>(
            await tx.execute(sql.raw(`SELECT "version" FROM ${migrationsTable}`)),
          ).map((r) => Number(r.version)),
        )
        const migrations = postgresMigrations(naming)
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
  return loading === null ? store : afterLoading(store, loading)
}
