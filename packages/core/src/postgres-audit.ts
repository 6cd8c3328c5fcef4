import { eq, inArray, lt, notExists, sql } from 'drizzle-orm'
import { auditOrder, auditWhere } from './audit-query.js'
import type { postgresTablesFor } from './drizzle/postgres.js'
import type { PostgresDatabase } from './postgres-connection.js'
import type { KeywardStore } from './store.js'

type Tables = Pick<ReturnType<typeof postgresTablesFor>, 'audit' | 'expiryWarnings' | 'tokens'>

/** The Postgres store's audit log and expiry-warning claims. */
export function postgresAudit(
  db: () => PostgresDatabase,
  { audit, expiryWarnings, tokens }: Tables,
  open: () => void,
) {
  return {
    async appendAudit(rows) {
      open()
      if (rows.length > 0)
        await db()
          .insert(audit)
          .values([...rows])
    },
    async listAudit(query) {
      open()
      return db()
        .select()
        .from(audit)
        .where(auditWhere(audit, query))
        .orderBy(auditOrder(audit))
        .limit(query.limit)
    },
    async purgeAudit({ before, limit }) {
      open()
      const batch = db().select({ id: audit.id }).from(audit).where(lt(audit.at, before)).limit(limit)
      const deleted = await db().delete(audit).where(inArray(audit.id, batch)).returning({ id: audit.id })
      return deleted.length
    },
    async claimExpiryWarnings(claims, at) {
      open()
      if (claims.length === 0) return []
      // Inserted if absent: RETURNING gives only the rows this statement inserted. A concurrent
      // insert of the same key waits for the other transaction, then does nothing.
      return db()
        .insert(expiryWarnings)
        .values(
          claims.map((claim) => ({ key: `${claim.windowMs}:${claim.tokenId}`, ...claim, warnedAt: at })),
        )
        .onConflictDoNothing()
        .returning({ tokenId: expiryWarnings.tokenId, windowMs: expiryWarnings.windowMs })
    },
    async pruneExpiryWarnings() {
      open()
      const stored = db().select({ one: sql`1` }).from(tokens).where(eq(tokens.id, expiryWarnings.tokenId))
      const deleted = await db()
        .delete(expiryWarnings)
        .where(notExists(stored))
        .returning({ tokenId: expiryWarnings.tokenId })
      return deleted.length
    },
  } satisfies Pick<
    KeywardStore,
    'appendAudit' | 'listAudit' | 'purgeAudit' | 'claimExpiryWarnings' | 'pruneExpiryWarnings'
  >
}
