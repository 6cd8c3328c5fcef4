import { and, type Column, eq, gt, isNull, or, type SQL } from 'drizzle-orm'
import type { TokenExpectation } from './store.js'

/** One condition of a compare-and-set: the column holds this value (`null`: IS NULL). */
export type ColumnCondition = {
  column: 'revokedAt' | 'expiresAt' | 'revokedReason'
  equals: number | null
}

/**
 * The compare-and-set of `updateToken`: the row is still unrevoked, with the expiry it was read with
 * and, when asked, without a revocation reason (a token rotated with a grace period has one).
 */
export function expectationConditions(expected: TokenExpectation): ColumnCondition[] {
  return [
    { column: 'revokedAt', equals: null },
    { column: 'expiresAt', equals: expected.expiresAt },
    ...(expected.revokedReason === null ? [{ column: 'revokedReason' as const, equals: null }] : []),
  ]
}

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
