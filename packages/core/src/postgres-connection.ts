/**
 * The Postgres store's connection: whichever of `url`, `client` or `db` it was given, postgres.js
 * loaded only when needed, the owned pool replaced when its connections are stuck, and the
 * cancellable reads of the request path.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { drizzle as drizzlePostgresJs } from 'drizzle-orm/postgres-js'
import type postgres from 'postgres'
import { KeywardError } from './errors.js'
import type { KeywardStore } from './store.js'

// biome-ignore lint/suspicious/noExplicitAny: any schema the user's drizzle instance was built with
export type PostgresDatabase = PgDatabase<PgQueryResultHKT, any, any>

/** Where the store's connection comes from (see `PostgresStoreOptions`). */
export type PostgresSource = { url: string } | { client: postgres.Sql } | { db: PostgresDatabase }

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

/** The store with every call held until its driver is loaded (a failed load rejects each call). */
export function afterLoading<S extends KeywardStore>(store: S, loading: Promise<void>): S {
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

function openPool(connect: typeof postgres, url: string, max: number): postgres.Sql {
  return connect(url, {
    max,
    // Fail fast so an outage answers 503 in seconds, not after postgres.js's 30 s default.
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => {},
    // Keyward's tables have no array columns. Fetching array types costs a query per connection,
    // and when that connection fails postgres.js rejects it where no caller can catch it.
    fetch_types: false,
  })
}

/**
 * The connection, with `prepared` (the drizzle instance and its prepared statements, built by
 * `prepare`) rebuilt whenever the pool is. With `url`, Keyward owns the pool and replaces it when
 * its connections are stuck; LISTEN then gets a postgres.js instance of its own, so that a
 * replacement does not end it. Until postgres.js is loaded (`url`, `client`), `prepared` is unset:
 * the store waits for `loading` first (see `afterLoading`).
 */
export class PostgresConnection<P extends { db: PostgresDatabase }> {
  prepared: P
  /** The postgres.js client the request path's reads go to directly, to be cancellable. */
  client: postgres.Sql | null = null
  readonly loading: Promise<void> | null
  private closed = false
  private connect: typeof postgres | null = null
  private drizzle: typeof drizzlePostgresJs | null = null
  private url: string | null = null
  private owned: postgres.Sql | null = null
  private ownedListener: postgres.Sql | null = null
  private readonly prepare: (db: PostgresDatabase) => P

  constructor(source: PostgresSource, prepare: (db: PostgresDatabase) => P) {
    this.prepare = prepare
    this.prepared = null as unknown as P
    if ('db' in source) {
      this.prepared = prepare(source.db)
      this.loading = null
    } else if ('client' in source) {
      const given = source.client
      this.client = given
      this.loading = loadPostgresJs('client').then(({ drizzle }) => {
        this.prepared = prepare(drizzle(given))
      })
    } else {
      const url = source.url
      this.url = url
      this.loading = loadPostgresJs('url').then(({ postgres: connect, drizzle }) => {
        this.connect = connect
        this.drizzle = drizzle
        this.owned = openPool(connect, url, 10)
        this.client = this.owned
        this.prepared = prepare(drizzle(this.owned))
      })
    }
    // Not awaited by anyone until the first call: the error then reaches that caller.
    this.loading?.catch(() => {})
  }

  /** Throws once the store is closed. */
  open(): void {
    if (this.closed) throw new KeywardError('closed', 'This Postgres store is closed.')
  }

  /** A one-connection postgres.js instance for LISTEN, for a store that owns its pool (`url`). */
  async listenerClient(): Promise<postgres.Sql> {
    await this.loading
    this.ownedListener ??= openPool(this.connect as typeof postgres, this.url as string, 1)
    return this.ownedListener
  }

  /** Ends a pool whose connections are stuck (a half-open connection), for a fresh one. */
  private recycle(stale: postgres.Sql) {
    if (this.closed || this.connect === null || this.owned !== stale) return
    this.owned = openPool(this.connect, this.url as string, 10)
    this.client = this.owned
    this.prepared = this.prepare((this.drizzle as typeof drizzlePostgresJs)(this.owned))
    // With no wait, its queries (the stuck ones included) reject at once.
    stale.end({ timeout: 0 }).catch(() => {})
  }

  /** Runs a read that `signal` cancels; a cancelled read that does not let go marks its pool stuck. */
  async cancellable<T extends postgres.Row>(
    sqlText: string,
    parameters: string[],
    signal: AbortSignal,
  ): Promise<T[]> {
    const pool = this.client as postgres.Sql
    const query = pool.unsafe<T[]>(sqlText, parameters, { prepare: true })
    let settled = false
    const onAbort = () => {
      cancelQuery(query)
      if (this.connect !== null) {
        setTimeout(() => {
          if (!settled) this.recycle(pool)
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

  /** Marks the store closed; true the first time. */
  markClosed(): boolean {
    if (this.closed) return false
    this.closed = true
    return true
  }

  /** Ends the pools Keyward opened (never the user's client or db). */
  async end(): Promise<void> {
    await Promise.all([this.owned?.end({ timeout: 5 }), this.ownedListener?.end({ timeout: 5 })])
  }
}
