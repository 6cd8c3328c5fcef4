import { eq, inArray, lt, notExists, sql } from 'drizzle-orm'
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core'
import { auditOrder, auditWhere } from './audit-query.js'
import type { sqliteTablesFor } from './drizzle/sqlite.js'
import type { KeywardStore } from './store.js'

// biome-ignore lint/suspicious/noExplicitAny: any schema the drizzle instance was built with
type SyncSqlite = BaseSQLiteDatabase<'sync', any, any>
type Tables = Pick<ReturnType<typeof sqliteTablesFor>, 'audit' | 'expiryWarnings' | 'tokens'>

/** The SQLite store's audit log and expiry-warning claims. */
export function sqliteAudit(db: SyncSqlite, { audit, expiryWarnings, tokens }: Tables, open: () => void) {
  return {
    async appendAudit(rows) {
      open()
      if (rows.length > 0)
        db.insert(audit)
          .values([...rows])
          .run()
    },
    async listAudit(query) {
      open()
      return db
        .select()
        .from(audit)
        .where(auditWhere(audit, query))
        .orderBy(auditOrder(audit))
        .limit(query.limit)
        .all()
    },
    async purgeAudit({ before, limit }) {
      open()
      const batch = db.select({ id: audit.id }).from(audit).where(lt(audit.at, before)).limit(limit)
      return db.delete(audit).where(inArray(audit.id, batch)).run().changes
    },
    async claimExpiryWarnings(claims, at) {
      open()
      if (claims.length === 0) return []
      // Inserted if absent: RETURNING gives only the rows this statement inserted.
      return db
        .insert(expiryWarnings)
        .values(
          claims.map((claim) => ({ key: `${claim.windowMs}:${claim.tokenId}`, ...claim, warnedAt: at })),
        )
        .onConflictDoNothing()
        .returning({ tokenId: expiryWarnings.tokenId, windowMs: expiryWarnings.windowMs })
        .all()
    },
    async pruneExpiryWarnings() {
      open()
      const stored = db.select({ one: sql`1` }).from(tokens).where(eq(tokens.id, expiryWarnings.tokenId))
      return db.delete(expiryWarnings).where(notExists(stored)).run().changes
    },
  } satisfies Pick<
    KeywardStore,
    'appendAudit' | 'listAudit' | 'purgeAudit' | 'claimExpiryWarnings' | 'pruneExpiryWarnings'
  >
}
