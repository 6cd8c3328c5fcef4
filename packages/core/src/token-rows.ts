import type { TokenRecord } from './keyward-types.js'
import type { Principal } from './principal.js'
import type { TokenRow, TokenStatus } from './store.js'

/** A stored token as everything else sees it: its state now, its record, its principal. Pure. */

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms)
}

/** The one rule for a row's state: revoked wins, then expiry (at `expiresAt` exactly, it is over). */
export function statusOf(row: TokenRow, now: number): TokenStatus {
  if (row.revokedAt !== null) return 'revoked'
  return row.expiresAt !== null && row.expiresAt <= now ? 'expired' : 'active'
}

/** Can this row authenticate now? Null (no such token) cannot. */
export function isUsable(row: TokenRow | null, now: number): row is TokenRow {
  return row !== null && statusOf(row, now) === 'active'
}

export function toRecord(row: TokenRow, now: number): TokenRecord {
  return Object.freeze({
    id: row.id,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    scopes: Object.freeze([...row.scopes]),
    status: statusOf(row, now),
    createdAt: new Date(row.createdAt),
    expiresAt: toDate(row.expiresAt),
    lastUsedAt: toDate(row.lastUsedAt),
    revokedAt: toDate(row.revokedAt),
    revokedReason: row.revokedReason,
    metadata: row.metadata,
    description: row.description,
  })
}

export function patPrincipal(
  id: string,
  userId: string,
  scopes: readonly string[],
  expiresAt: number | null,
): Principal {
  return Object.freeze({
    kind: 'pat',
    userId,
    scopes: Object.freeze([...scopes]),
    tokenId: id,
    expiresAt: toDate(expiresAt),
  })
}
