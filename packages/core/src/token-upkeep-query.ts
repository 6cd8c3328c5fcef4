import { and, asc, type Column, eq, gt, isNotNull, isNull, lt, lte, or, type SQL } from 'drizzle-orm'
import type { ExpiringTokenQuery, PurgeQuery } from './store.js'

type UpkeepColumns = { userId: Column; id: Column; revokedAt: Column; expiresAt: Column }

/**
 * The WHERE of a page of tokens about to expire (see `ExpiringTokenQuery`), the same for both
 * dialects' tables: unrevoked, expiry in (now, until], the user if given, and the keyset after the
 * previous page's last (expiresAt, id).
 */
export function expiringWhere(t: UpkeepColumns, query: ExpiringTokenQuery): SQL | undefined {
  const { now, until, userId, after } = query
  const keyset =
    after === undefined
      ? undefined
      : or(gt(t.expiresAt, after.expiresAt), and(eq(t.expiresAt, after.expiresAt), gt(t.id, after.id)))
  return and(
    isNull(t.revokedAt),
    gt(t.expiresAt, now),
    lte(t.expiresAt, until),
    userId === undefined ? undefined : eq(t.userId, userId),
    keyset,
  )
}

/** Soonest expiry first, the id breaking ties: the order `expiringWhere`'s keyset follows. */
export function expiringOrder(t: UpkeepColumns): SQL[] {
  return [asc(t.expiresAt), asc(t.id)]
}

/** The WHERE of the tokens a purge deletes (see `PurgeQuery`): revoked, or expired, before `before`. */
export function purgeableWhere(t: UpkeepColumns, { before }: PurgeQuery): SQL | undefined {
  return or(
    and(isNotNull(t.revokedAt), lt(t.revokedAt, before)),
    and(isNotNull(t.expiresAt), lt(t.expiresAt, before)),
  )
}
