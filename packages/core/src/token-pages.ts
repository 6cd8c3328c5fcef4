import { KeywardError } from './errors.js'
import type { TokenPageQuery, TokenRow, TokenStatus } from './store.js'
import { statusOf } from './token-rows.js'

/**
 * Pages of a user's tokens for `tokens.page()`: the options, the opaque cursor, and the order.
 * Keyset paging on (created_at desc, id desc): a page costs an index range whatever its depth, and
 * a token created or revoked meanwhile moves no other row between pages.
 */

export const DEFAULT_PAGE_LIMIT = 50
export const MAX_PAGE_LIMIT = 100

export type TokenPageOptions = {
  /** Only tokens in this state. Default: every token. */
  status?: TokenStatus
  /** At most this many tokens (1 to 100, default 50). */
  limit?: number
  /** The `nextCursor` of the previous page. */
  cursor?: string
}

const STATUSES: ReadonlySet<string> = new Set(['active', 'expired', 'revoked'])
const PAGE_OPTIONS: ReadonlySet<string> = new Set(['status', 'limit', 'cursor'])
const CURSOR = /^[A-Za-z0-9_-]{1,120}$/
const POSITION = /^(\d{1,16})\.([A-Za-z0-9]{1,64})$/

export type PagePosition = { createdAt: number; id: string }

/** The cursor that continues after this row: base64url of `<createdAt>.<id>`, no secret in it. */
export function encodeCursor(row: PagePosition): string {
  return Buffer.from(`${row.createdAt}.${row.id}`, 'utf8').toString('base64url')
}

function badCursor(): never {
  throw new KeywardError(
    'invalid_argument',
    'cursor is not one this API returned: pass the nextCursor of the previous page, or none for the first.',
  )
}

export function decodeCursor(cursor: unknown): PagePosition {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) badCursor()
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  // Canonical only: a cursor that does not re-encode to itself was not made here.
  const match = POSITION.exec(text)
  if (!match || Buffer.from(text, 'utf8').toString('base64url') !== cursor) badCursor()
  const createdAt = Number(match[1])
  if (!Number.isSafeInteger(createdAt)) badCursor()
  return { createdAt, id: match[2] as string }
}

/** `page()`'s options, checked up front: unknown keys, a bad status, limit or cursor are refused. */
export function requirePageOptions(options: unknown): {
  status: TokenStatus | undefined
  limit: number
  after: PagePosition | undefined
} {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError(
      'invalid_argument',
      'page() options must be an object { status?, limit?, cursor? }.',
    )
  }
  for (const key of Object.keys(options)) {
    if (!PAGE_OPTIONS.has(key)) {
      throw new KeywardError(
        'invalid_argument',
        `Unknown page() option ${JSON.stringify(key)} (known: status, limit, cursor).`,
      )
    }
  }
  const { status, limit = DEFAULT_PAGE_LIMIT, cursor } = options as TokenPageOptions
  if (status !== undefined && !STATUSES.has(status)) {
    throw new KeywardError(
      'invalid_argument',
      `status must be 'active', 'expired' or 'revoked'; got ${JSON.stringify(status)}.`,
    )
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new KeywardError(
      'invalid_argument',
      `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}; got ${JSON.stringify(limit)}.`,
    )
  }
  return { status, limit, after: cursor === undefined ? undefined : decodeCursor(cursor) }
}

/** A page cut from the whole list, for a store without `listTokenPage` (newest first already). */
export function pageInMemory(rows: readonly TokenRow[], query: TokenPageQuery): TokenRow[] {
  const { after, status, now, limit } = query
  return rows
    .filter(
      (row) =>
        (status === undefined || statusOf(row, now) === status) &&
        (after === undefined ||
          row.createdAt < after.createdAt ||
          (row.createdAt === after.createdAt && row.id < after.id)),
    )
    .slice(0, limit)
}
