import { sql } from 'drizzle-orm'
import type postgres from 'postgres'
import { postgresTablesFor } from './drizzle/postgres.js'
import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'
import { type Listener, listenerFor, notifyBus, postgresJsListener, urlListener } from './pg-listen.js'
import { afterLoading, PostgresConnection, type PostgresDatabase } from './postgres-connection.js'
import { postgresMethods, statementsFor } from './postgres-queries.js'
import type { InvalidationBus } from './shared-cache.js'
import type { KeywardStore } from './store.js'
import { resolveNaming, type StoreNaming } from './store-naming.js'

export type { PostgresDatabase } from './postgres-connection.js'

/** The store's tables (`keywardTables()` in `@keyward/core/drizzle/postgres` has the bookkeeping one too). */
export function postgresTables(naming: StoreNaming) {
  const { tokens, sessionVersions, meta } = postgresTablesFor(naming)
  return { tokens, sessionVersions, meta }
}

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

const KNOWN_OPTIONS = new Set(['url', 'client', 'db', 'schema', 'tablePrefix', 'notify', 'listen'])
const POSTGRES_URL = /^postgres(ql)?:\/\//

function listenUrl(listen: unknown): string {
  const url = (listen as { url?: unknown } | null)?.url
  if (typeof url !== 'string' || !POSTGRES_URL.test(url)) {
    throw new KeywardError('invalid_option', 'listen must be { url: "postgres://…" }.')
  }
  return url
}

/** Who LISTENs for invalidations: on the store's own driver, or on a connection to `listen.url`. */
function listenerOf(
  options: PostgresStoreOptions,
  ownedListenerClient: () => Promise<postgres.Sql>,
): Listener | null {
  if (options.notify === false) return null
  if (options.listen !== undefined) return urlListener(listenUrl(options.listen))
  if ('db' in options) return listenerFor((options.db as { $client?: unknown }).$client)
  if ('client' in options) {
    const given = options.client
    return postgresJsListener(() => given)
  }
  return postgresJsListener(ownedListenerClient)
}

/** The token store on Postgres (postgres.js + drizzle, or your own drizzle instance). */
export function postgresStore(options: PostgresStoreOptions): KeywardStore {
  if (typeof options === 'object' && options !== null) {
    assertKnownKeys(options, KNOWN_OPTIONS, (key) => `postgresStore: unknown option ${JSON.stringify(key)}`)
  }
  const naming = resolveNaming(options)
  const valid =
    'db' in options ||
    'client' in options ||
    (typeof options.url === 'string' && POSTGRES_URL.test(options.url))
  if (!valid) {
    throw new KeywardError(
      'invalid_option',
      'postgresStore() needs { url: "postgres://…" }, { client } or { db }.',
    )
  }
  // postgres.js is loaded only for `url` and `client`: an app on another driver needs none.
  const connection = new PostgresConnection(options, statementsFor(naming))
  const listener = listenerOf(options, () => connection.listenerClient())
  // A channel is an identifier: at most 63 bytes.
  const channel = `keyward_${naming.schema ?? ''}_${naming.tablePrefix}inval`.slice(0, 63)
  // NOTIFY on the store's own connection, whatever the driver.
  const bus: InvalidationBus | undefined =
    listener === null
      ? undefined
      : notifyBus(
          async (name, payload) => {
            await connection.loading
            await connection.prepared.db.execute(sql`SELECT pg_notify(${name}, ${payload})`)
          },
          listener,
          channel,
        )

  const store = {
    dialect: 'postgres',
    ...(bus ? { bus } : {}),
    ...postgresMethods(connection, naming),
    async close() {
      if (!connection.markClosed()) return
      await bus?.close()
      await connection.end()
    },
  } satisfies KeywardStore
  return connection.loading === null ? store : afterLoading(store, connection.loading)
}
