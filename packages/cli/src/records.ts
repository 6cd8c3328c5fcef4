import type { TokenRecord } from '@keyward/core'
import type { Output } from './io.js'
import { type Column, formatPairs, formatTable } from './table.js'

/** Tokens as the CLI shows them: JSON for scripts (ISO dates), tables and pairs for people (UTC). */

/** `2030-01-31 12:00Z`: minutes are enough to tell tokens apart, `Z` says the zone. */
export function shortDate(date: Date | null, none = 'never'): string {
  return date === null ? none : `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`
}

export function fullDate(date: Date | null, none = 'never'): string {
  return date === null ? none : date.toISOString()
}

/** The record as JSON: the core's fields in their order, dates as ISO strings. */
export function recordJSON(record: TokenRecord) {
  return {
    id: record.id,
    userId: record.userId,
    name: record.name,
    prefix: record.prefix,
    scopes: record.scopes,
    status: record.status,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt?.toISOString() ?? null,
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    revokedReason: record.revokedReason,
    description: record.description,
    metadata: record.metadata,
  }
}

const scopeList = (scopes: readonly string[]) => (scopes.length === 0 ? '(none)' : scopes.join(' '))

/** One token, label by label (`tokens show`, and the summary after create or rotate). */
export function recordPairs(record: TokenRecord): string {
  const pairs: [string, string][] = [
    ['id', record.id],
    ['name', record.name],
    ['user', record.userId],
    ['prefix', record.prefix],
    ['scopes', scopeList(record.scopes)],
    ['status', record.status],
    ['created', fullDate(record.createdAt)],
    ['expires', fullDate(record.expiresAt)],
    ['last used', fullDate(record.lastUsedAt)],
  ]
  if (record.revokedAt !== null || record.revokedReason !== null) {
    pairs.push(['revoked', fullDate(record.revokedAt, 'pending (rotated, in its grace period)')])
    pairs.push(['reason', record.revokedReason ?? '(none given)'])
  }
  if (record.description !== null) pairs.push(['description', record.description])
  return formatPairs(pairs)
}

const STATUS_STYLE = { active: 'green', expired: 'yellow', revoked: 'red' } as const

export function tokenTable(output: Output, records: readonly TokenRecord[]): string {
  const columns: Column<TokenRecord>[] = [
    { header: 'id', cell: (r) => r.id },
    { header: 'name', cell: (r) => r.name },
    { header: 'prefix', cell: (r) => r.prefix },
    { header: 'scopes', cell: (r) => scopeList(r.scopes) },
    {
      header: 'status',
      cell: (r) => r.status,
      paint: (padded, r) => output.paintOut(STATUS_STYLE[r.status], padded),
    },
    { header: 'created', cell: (r) => shortDate(r.createdAt) },
    { header: 'expires', cell: (r) => shortDate(r.expiresAt) },
    { header: 'last used', cell: (r) => shortDate(r.lastUsedAt) },
  ]
  return formatTable(columns, records)
}

/** How long until `date`, to the two largest units: `6d 23h`, `5h 12m`, `12m`, `<1m`. */
export function timeUntil(date: Date, now: number): string {
  const minutes = Math.floor((date.getTime() - now) / 60_000)
  if (minutes < 1) return '<1m'
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const rest = minutes % 60
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`
  if (hours > 0) return rest > 0 ? `${hours}h ${rest}m` : `${hours}h`
  return `${rest}m`
}
