import { count, inArray } from 'drizzle-orm'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import type { sqliteTablesFor } from './drizzle/sqlite.js'
import type { KeywardStore } from './store.js'
import { fromColumns } from './store-columns.js'
import { expiringOrder, expiringWhere, purgeableWhere } from './token-upkeep-query.js'

// biome-ignore lint/suspicious/noExplicitAny: any schema the drizzle instance was built with
type SyncSqlite = BaseSQLiteDatabase<'sync', any, any>

/** The SQLite store's reads and deletes across every user: tokens about to expire, and the purge. */
export function sqliteUpkeep(
  db: SyncSqlite,
  tokens: ReturnType<typeof sqliteTablesFor>['tokens'],
  open: () => void,
) {
  return {
    async listExpiringTokens(query) {
      open()
      return db
        .select()
        .from(tokens)
        .where(expiringWhere(tokens, query))
        .orderBy(...expiringOrder(tokens))
        .limit(query.limit)
        .all()
        .map(fromColumns)
    },
    async countPurgeableTokens(query) {
      open()
      const [row] = db.select({ n: count() }).from(tokens).where(purgeableWhere(tokens, query)).all()
      return row?.n ?? 0
    },
    async purgeTokens(query) {
      open()
      // One statement per batch, and so one short write lock: the ids first, by the indexes.
      const batch = db
        .select({ id: tokens.id })
        .from(tokens)
        .where(purgeableWhere(tokens, query))
        .limit(query.limit)
      return db.delete(tokens).where(inArray(tokens.id, batch)).run().changes
    },
  } satisfies Pick<KeywardStore, 'listExpiringTokens' | 'countPurgeableTokens' | 'purgeTokens'>
}
