import { and, type Column, eq, gt, isNull, or, type SQL } from 'drizzle-orm'
import type { TokenExpectation } from './store.js'
import { expectationConditions } from './store-schema.js'

type StateColumns = { revokedAt: Column; expiresAt: Column; revokedReason: Column }

/**
 * The WHERE of `updateToken`'s compare-and-set (undefined without an expectation), the same for
 * both dialects' tables: drizzle's operators are dialect-neutral.
 */
export function unchangedSince(t: StateColumns, expected: TokenExpectation | undefined): SQL | undefined {
  if (expected === undefined) return undefined
  return and(
    ...expectationConditions(expected).map(({ column, equals }) =>
      equals === null ? isNull(t[column]) : eq(t[column], equals),
    ),
  )
}

/** Neither revoked nor expired at `now`. */
export function activeAt(t: Pick<StateColumns, 'revokedAt' | 'expiresAt'>, now: number): SQL | undefined {
  return and(isNull(t.revokedAt), or(isNull(t.expiresAt), gt(t.expiresAt, now)))
}
