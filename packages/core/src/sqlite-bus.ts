import { randomBytes } from 'node:crypto'
import { realpathSync } from 'node:fs'
import { sql } from 'drizzle-orm'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { type InvalidationBus, type InvalidationMessage, parseInvalidation } from './shared-cache.js'

/**
 * The invalidation bus on SQLite, where no server can push: `publish` appends the message to
 * `<prefix>invalidations` and hands it at once to every instance in this process on the same
 * database file; each subscriber polls `PRAGMA data_version` (which changes only when another
 * connection committed) and reads the new rows only then. Rows older than `RETENTION_MS` are pruned.
 */

// biome-ignore lint/suspicious/noExplicitAny: any schema the drizzle instance was built with
type SyncSqlite = BaseSQLiteDatabase<'sync', any, any>

/** Rows this process wrote were delivered in-process already: pollers skip them. */
const PROCESS_ORIGIN = randomBytes(8).toString('hex')
/** Subscribers in this process, by the real path of their database file and their table prefix. */
const inProcess = new Map<string, Set<(message: InvalidationMessage) => void>>()
/** A poller further behind than this has missed rows (a gap). */
const RETENTION_MS = 10 * 60_000

/** The real path of the database's main file; null for an in-memory or temporary database. */
function databaseFile(db: SyncSqlite): string | null {
  const main = db
    .all<{ name: string; file: string }>(sql`PRAGMA database_list`)
    .find((d) => d.name === 'main')
  if (!main?.file) return null
  try {
    return realpathSync(main.file)
  } catch {
    return main.file
  }
}

/** Null where no other connection can open the database (in memory): in-process delivery is all. */
export function sqliteBus(
  db: SyncSqlite,
  options: { tablePrefix: string; pollInterval: number },
): InvalidationBus | null {
  const path = databaseFile(db)
  if (path === null) return null
  // Stores with other prefixes on the same file are other deployments: they hear nothing of this one.
  const registryKey = `${path}\u0000${options.tablePrefix}`
  const table = sql.identifier(`${options.tablePrefix}invalidations`)
  const dataVersion = () => db.get<{ data_version: number }>(sql`PRAGMA data_version`)?.data_version ?? 0
  const subscriptions = new Set<{ deliver: (m: InvalidationMessage) => void; timer: NodeJS.Timeout }>()

  return {
    pollInterval: options.pollInterval,
    async publish(message) {
      const listeners = inProcess.get(registryKey)
      if (listeners) for (const deliver of [...listeners]) deliver(message)
      const now = Date.now()
      db.run(
        sql`INSERT INTO ${table} ("origin", "message", "created_at") VALUES (${PROCESS_ORIGIN}, ${JSON.stringify(message)}, ${now})`,
      )
      db.run(sql`DELETE FROM ${table} WHERE "created_at" < ${now - RETENTION_MS}`)
    },
    async subscribe(onMessage, onGap) {
      const deliver = (m: InvalidationMessage) => onMessage(m)
      const listeners = inProcess.get(registryKey) ?? new Set()
      inProcess.set(registryKey, listeners)
      listeners.add(deliver)
      let cursor = db.get<{ seq: number | null }>(sql`SELECT max("seq") AS "seq" FROM ${table}`)?.seq ?? 0
      let version = dataVersion()
      const poll = () => {
        try {
          const now = dataVersion()
          if (now === version) return
          const rows = db.all<{ seq: number; origin: string; message: string }>(
            sql`SELECT "seq", "origin", "message" FROM ${table} WHERE "seq" > ${cursor} ORDER BY "seq"`,
          )
          version = now
          // Rows follow each other without holes; one missing was pruned before this poller read it.
          if (rows.length > 0 && (rows[0] as { seq: number }).seq > cursor + 1) onGap()
          for (const row of rows) {
            cursor = row.seq
            if (row.origin === PROCESS_ORIGIN) continue
            const message = parseInvalidation(row.message)
            if (message) onMessage(message)
          }
        } catch {
          // A busy or locked database: the next tick reads the same rows.
        }
      }
      const timer = setInterval(poll, options.pollInterval)
      timer.unref()
      subscriptions.add({ deliver, timer })
    },
    async close() {
      for (const { deliver, timer } of subscriptions) {
        clearInterval(timer)
        inProcess.get(registryKey)?.delete(deliver)
      }
      if (inProcess.get(registryKey)?.size === 0) inProcess.delete(registryKey)
      subscriptions.clear()
    },
  }
}
