import { and, type Column, eq, gt, isNotNull, isNull, lt, lte, or, type SQL } from 'drizzle-orm'
import type { TokenPageQuery } from './store.js'

type PageColumns = { userId: Column; createdAt: Column; id: Column; revokedAt: Column; expiresAt: Column }

/**
 * The WHERE of a page of a user's tokens, the same for both dialects' tables: the user, the status
 * as of `now`, and the keyset after the previous page's last (createdAt, id).
 */
export function tokenPageWhere(t: PageColumns, userId: string, query: TokenPageQuery): SQL | undefined {
  const { status, now, after } = query
  const state =
    status === 'revoked'
      ? isNotNull(t.revokedAt)
      : status === 'expired'
        ? and(isNull(t.revokedAt), lte(t.expiresAt, now))
        : status === 'active'
          ? and(isNull(t.revokedAt), or(isNull(t.expiresAt), gt(t.expiresAt, now)))
          : undefined
  const keyset =
    after === undefined
      ? undefined
      : or(lt(t.createdAt, after.createdAt), and(eq(t.createdAt, after.createdAt), lt(t.id, after.id)))
  return and(eq(t.userId, userId), state, keyset)
}
