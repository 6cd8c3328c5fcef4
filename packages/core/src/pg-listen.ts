import type postgres from 'postgres'
import { KeywardError } from './errors.js'
import { type InvalidationBus, type InvalidationMessage, parseInvalidation } from './shared-cache.js'
import { withTimeout } from './timeout.js'

/**
 * Postgres LISTEN/NOTIFY for the invalidation bus, whatever the store was built on: NOTIFY goes out
 * on the store's own connection (`SELECT pg_notify(…)` works on every driver), and LISTEN needs a
 * connection that stays open, which postgres.js gives from its own client and node-postgres (`pg`)
 * from one dedicated `Client` opened with the pool's settings. Neither driver is imported here.
 */

/** One listening connection: delivers payloads and calls `onConnect` on every (re)connection. */
export type Listener = {
  start(channel: string, onPayload: (payload: string) => void, onConnect: () => void): Promise<void>
  stop(): Promise<void>
  /** Drops the connection, whatever its state, and listens on a new one (`onConnect` again). */
  restart(): void
}

const UNLISTEN_TIMEOUT_MS = 1000

/** LISTEN on a postgres.js client, which reconnects by itself and calls `onlisten` each time. */
export function postgresJsListener(client: () => postgres.Sql | Promise<postgres.Sql>): Listener {
  let listening: { unlisten(): Promise<void> } | null = null
  let stopped = false
  return {
    async start(channel, onPayload, onConnect) {
      listening = await (await client()).listen(channel, onPayload, onConnect)
    },
    restart() {
      if (stopped) return
      Promise.resolve(client())
        .then((sql) => {
          // postgres.js keeps its LISTEN connection on `listen.sql` and, when that connection closes,
          // listens again on every channel. A silent one never closes: forget it, so that the next
          // LISTEN opens a new one, and end it (its close then moves every channel there).
          const listen = sql.listen as unknown as { sql?: postgres.Sql | undefined }
          const silent = listen.sql
          if (silent === undefined || stopped) return
          listen.sql = undefined
          silent.end({ timeout: 0 }).catch(() => {})
        })
        .catch(() => {})
    },
    async stop() {
      stopped = true
      const unlistening = listening?.unlisten()
      listening = null
      // On a connection that silently stopped answering, UNLISTEN never returns: do not wait for it.
      if (unlistening) await withTimeout(unlistening, UNLISTEN_TIMEOUT_MS).catch(() => {})
    },
  }
}

/** What Keyward uses of a node-postgres `Client` (typed here, so that `pg` is never imported). */
export type PgClientLike = {
  connect(): Promise<unknown>
  query(text: string): Promise<unknown>
  end(): Promise<void>
  on(event: 'notification', listener: (n: { channel: string; payload?: string }) => void): unknown
  on(event: 'error' | 'end', listener: (error?: Error) => void): unknown
}

/**
 * Ends a client whose connection may be silent: `end()` waits for the server's goodbye, which never
 * comes on a dead connection, so past a bound its socket is destroyed.
 */
function drop(client: PgClientLike): void {
  withTimeout(client.end(), UNLISTEN_TIMEOUT_MS).catch(() => {
    ;(client as { connection?: { stream?: { destroy?(): void } } }).connection?.stream?.destroy?.()
  })
}

const RECONNECT_FIRST_MS = 100
const RECONNECT_MAX_MS = 5000

/**
 * LISTEN on one dedicated node-postgres connection from `open()`. When it drops it is opened again
 * (100 ms, doubling up to 5 s), and `onConnect` tells the bus that messages may have been missed.
 */
export function pgListener(open: () => PgClientLike): Listener {
  let stopped = false
  let current: PgClientLike | null = null
  let timer: NodeJS.Timeout | null = null
  let delay = RECONNECT_FIRST_MS
  let reopen: (() => void) | null = null
  return {
    start(channel, onPayload, onConnect) {
      const connect = async () => {
        const client = open()
        // An error ends the connection; 'end' then schedules the next one.
        client.on('error', () => {})
        client.on('notification', (n) => {
          if (n.channel === channel && typeof n.payload === 'string') onPayload(n.payload)
        })
        client.on('end', () => {
          if (current !== client) return
          current = null
          retry()
        })
        try {
          await client.connect()
          await client.query(`LISTEN "${channel}"`)
        } catch (error) {
          client.end().catch(() => {})
          throw error
        }
        if (stopped) {
          await client.end().catch(() => {})
          return
        }
        current = client
        delay = RECONNECT_FIRST_MS
        onConnect()
      }
      const retry = () => {
        if (stopped) return
        if (timer) clearTimeout(timer)
        timer = setTimeout(() => {
          connect().catch(() => {
            delay = Math.min(delay * 2, RECONNECT_MAX_MS)
            retry()
          })
        }, delay)
        timer.unref()
      }
      reopen = () => {
        const silent = current
        if (silent === null) return
        current = null
        drop(silent)
        delay = RECONNECT_FIRST_MS
        retry()
      }
      // A first connection that fails is reported, and tried again in the background all the same.
      return connect().catch((error: unknown) => {
        retry()
        throw error
      })
    },
    restart() {
      reopen?.()
    },
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      const client = current
      current = null
      if (client) await withTimeout(client.end(), UNLISTEN_TIMEOUT_MS).catch(() => drop(client))
    },
  }
}

/**
 * A listener on the connection `client` came from, when Keyward can listen through it: a postgres.js
 * `Sql`, a node-postgres `Pool` (a new `Client` with the pool's options, outside its `max`) or
 * `Client` (a second one with the same connection parameters). Null for any other driver.
 */
export function listenerFor(client: unknown): Listener | null {
  if (typeof client === 'function') {
    const sql = client as Partial<postgres.Sql>
    if (typeof sql.listen === 'function' && typeof sql.notify === 'function') {
      return postgresJsListener(() => client as postgres.Sql)
    }
    return null
  }
  if (client === null || typeof client !== 'object') return null
  const c = client as {
    Client?: new (options: unknown) => PgClientLike
    options?: unknown
    connectionParameters?: unknown
    query?: unknown
    connect?: unknown
    constructor: unknown
  }
  if (typeof c.Client === 'function' && typeof c.options === 'object' && typeof c.connect === 'function') {
    const PoolClient = c.Client
    // keepAlive: the kernel's probes keep NAT state alive on an idle LISTEN connection.
    return pgListener(() => new PoolClient({ ...(c.options as object), keepAlive: true }))
  }
  if (typeof c.connectionParameters === 'object' && typeof c.query === 'function') {
    const SameClient = c.constructor as new (options: unknown) => PgClientLike
    // The password is not enumerable on node-postgres's ConnectionParameters: copied by name.
    const params = c.connectionParameters as { password?: unknown }
    return pgListener(() => new SameClient({ ...params, password: params.password, keepAlive: true }))
  }
  return null
}

/**
 * A listener on a connection of its own to `url`, for drivers Keyward cannot listen through: with
 * postgres.js if it is installed, else with node-postgres. `onOpen` receives what must be ended.
 */
export function urlListener(url: string): Listener {
  let inner: Listener | null = null
  let end: (() => Promise<unknown>) | null = null
  const open = async (): Promise<Listener> => {
    try {
      const { default: postgresJs } = await import('postgres')
      const sql = postgresJs(url, { max: 1, connect_timeout: 5, onnotice: () => {}, fetch_types: false })
      end = () => sql.end({ timeout: 1 })
      return postgresJsListener(() => sql)
    } catch {}
    try {
      const pg = (await import('pg')) as unknown as {
        default?: { Client: new (o: unknown) => PgClientLike }
        Client?: new (o: unknown) => PgClientLike
      }
      const Client = pg.default?.Client ?? pg.Client
      if (Client) return pgListener(() => new Client({ connectionString: url, keepAlive: true }))
    } catch {}
    throw new KeywardError(
      'invalid_option',
      'postgresStore({ listen: { url } }) needs the "postgres" or the "pg" package: npm install postgres',
    )
  }
  return {
    async start(channel, onPayload, onConnect) {
      inner = await open()
      await inner.start(channel, onPayload, onConnect)
    },
    restart: () => inner?.restart(),
    async stop() {
      await inner?.stop()
      await end?.().catch(() => {})
    },
  }
}

/** NOTIFY carries at most 8000 bytes: long id lists go out in several messages. */
const NOTIFY_IDS_PER_MESSAGE = 200

/** The bus on one channel: `notify` sends a payload, `listener` receives them. */
export function notifyBus(
  notify: (channel: string, payload: string) => Promise<unknown>,
  listener: Listener,
  channel: string,
): InvalidationBus {
  return {
    async publish(message: InvalidationMessage) {
      const { tokens = [], ...rest } = message
      // One that fits goes out whole, with its signature; only an unsigned one is split.
      if (tokens.length <= NOTIFY_IDS_PER_MESSAGE && !(message.tokens && message.user)) {
        await notify(channel, JSON.stringify(message))
        return
      }
      const messages: InvalidationMessage[] = []
      for (let i = 0; i < tokens.length; i += NOTIFY_IDS_PER_MESSAGE) {
        messages.push({ tokens: tokens.slice(i, i + NOTIFY_IDS_PER_MESSAGE) })
      }
      if (rest.user) messages.push({ user: rest.user })
      for (const m of messages) await notify(channel, JSON.stringify(m))
    },
    async subscribe(onMessage, onGap) {
      let connectedOnce = false
      await listener.start(
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
    close: () => listener.stop(),
    reconnect: () => listener.restart(),
  }
}
