import { count, inArray } from 'drizzle-orm'
import type { postgresTablesFor } from './drizzle/postgres.js'
import type { PostgresDatabase } from './postgres-connection.js'
import type { KeywardStore } from './store.js'
import { fromColumns } from './store-columns.js'
import { expiringOrder, expiringWhere, purgeableWhere } from './token-upkeep-query.js'

/** The Postgres store's reads and deletes across every user: tokens about to expire, and the purge. */
export function postgresUpkeep(
  db: () => PostgresDatabase,
  tokens: ReturnType<typeof postgresTablesFor>['tokens'],
  open: () => void,
) {
  return {
    async listExpiringTokens(query) {
      open()
      const rows = await db()
        .select()
        .from(tokens)
        .where(expiringWhere(tokens, query))
        .orderBy(...expiringOrder(tokens))
        .limit(query.limit)
      return rows.map(fromColumns)
    },
    async countPurgeableTokens(query) {
      open()
      const [row] = await db().select({ n: count() }).from(tokens).where(purgeableWhere(tokens, query))
      return Number(row?.n ?? 0)
    },
    async purgeTokens(query) {
      open()
      // One statement per batch, so that each holds its row locks briefly: the ids first, by the indexes.
      const batch = db()
        .select({ id: tokens.id })
        .from(tokens)
        .where(purgeableWhere(tokens, query))
        .limit(query.limit)
      const deleted = await db().delete(tokens).where(inArray(tokens.id, batch)).returning({ id: tokens.id })
      return deleted.length
    },
  } satisfies Pick<KeywardStore, 'listExpiringTokens' | 'countPurgeableTokens' | 'purgeTokens'>
}
