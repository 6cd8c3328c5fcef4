import { and, type Column, desc, eq, lt, type SQL } from 'drizzle-orm'
import type { AuditQuery } from './store.js'

type AuditColumns = { id: Column; userId: Column; tokenId: Column; action: Column }

/**
 * The WHERE of a page of the audit log (see `AuditQuery`), the same for both dialects' tables: the
 * user, token and action when given, and the keyset below the previous page's last id.
 */
export function auditWhere(t: AuditColumns, query: AuditQuery): SQL | undefined {
  const { userId, tokenId, action, before } = query
  return and(
    userId === undefined ? undefined : eq(t.userId, userId),
    tokenId === undefined ? undefined : eq(t.tokenId, tokenId),
    action === undefined ? undefined : eq(t.action, action),
    before === undefined ? undefined : lt(t.id, before),
  )
}

/** Newest first: the order `auditWhere`'s keyset follows. */
export function auditOrder(t: AuditColumns): SQL {
  return desc(t.id)
}
