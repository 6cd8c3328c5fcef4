import { type DurationString, toLifetime } from './duration.js'
import { KeywardError } from './errors.js'
import { ownerOf } from './input.js'
import { assertKnownKeys } from './option-checks.js'
import type { ExpiringTokenQuery, ProgressCallback, TokenRow } from './store.js'
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './token-pages.js'

/**
 * The arguments of `tokens.expiring()` and `tokens.purge()`, checked up front (unknown keys, bad
 * durations, limits and cursors are `invalid_argument`, and nothing is read), and the cursor of
 * `expiring()`: a position on (expiresAt, id), opaque to callers.
 */

export type ExpiringTokensOptions = {
  /** Tokens whose expiry falls within this duration from now: a duration string of at least `'1m'`. */
  within: DurationString
  /** Only this user's tokens. Default: every user's. */
  userId?: string
  /** At most this many tokens (1 to 100, default 50). */
  limit?: number
  /** The `nextCursor` of the previous page (null or absent for the first). */
  cursor?: string | null
}

export type PurgeTokensOptions = {
  /** Tokens revoked, or expired, longer ago than this: a duration string of at least `'1d'`. */
  olderThan: DurationString
  /** Count what would be deleted, and delete nothing. */
  dryRun?: boolean
  /** Called with (0, total) after the count, then after each batch, with the rows deleted so far. */
  onProgress?: ProgressCallback
  /** Rows deleted per statement (1 to 10000, default 500): each batch holds its locks that long. */
  batchSize?: number
}

export type PurgeResult = {
  /** Tokens deleted (with `dryRun`, that would be). */
  readonly purged: number
  /** The cut-off: tokens revoked or expired before it were purged (now minus `olderThan`). */
  readonly before: Date
}

export const DEFAULT_PURGE_BATCH = 500
const MAX_PURGE_BATCH = 10_000
/**
 * The shortest `olderThan`: a revoked or expired row stays at least a day for whoever looks into
 * why a token stopped working, and `'1m'` (a minute, not a month) cannot wipe yesterday's revocations.
 */
const MIN_PURGE_AGE_MS = 86_400_000

const EXPIRING_OPTIONS: ReadonlySet<string> = new Set(['within', 'userId', 'limit', 'cursor'])
const PURGE_OPTIONS: ReadonlySet<string> = new Set(['olderThan', 'dryRun', 'onProgress', 'batchSize'])
const CURSOR = /^[A-Za-z0-9_-]{1,120}$/
const POSITION = /^e(\d{1,16})\.([A-Za-z0-9]{1,64})$/

type ExpiryPosition = { expiresAt: number; id: string }

/** The cursor that continues after this row: base64url of `e<expiresAt>.<id>`, no secret in it. */
export function encodeExpiryCursor(row: ExpiryPosition): string {
  return Buffer.from(`e${row.expiresAt}.${row.id}`, 'utf8').toString('base64url')
}

function badCursor(): never {
  throw new KeywardError(
    'invalid_argument',
    'cursor is not one expiring() returned: pass the nextCursor of the previous page, or none for the first.',
  )
}

function decodeExpiryCursor(cursor: unknown): ExpiryPosition {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) badCursor()
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  // Canonical only: a cursor that does not re-encode to itself was not made here.
  const match = POSITION.exec(text)
  if (!match || Buffer.from(text, 'utf8').toString('base64url') !== cursor) badCursor()
  const expiresAt = Number(match[1])
  if (!Number.isSafeInteger(expiresAt)) badCursor()
  return { expiresAt, id: match[2] as string }
}

function requireObject(options: unknown, shape: string): object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError('invalid_argument', `${shape} must be an object.`)
  }
  return options
}

/** `expiring()`'s options as a store query at `now` (the limit is the caller's: one more is read). */
export function requireExpiringOptions(options: unknown, now: number): ExpiringTokenQuery {
  const checked = requireObject(options, 'expiring() options { within, userId?, limit?, cursor? }')
  assertKnownKeys(
    checked,
    EXPIRING_OPTIONS,
    (key) => `Unknown expiring() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { within, limit = DEFAULT_PAGE_LIMIT, cursor } = checked as ExpiringTokensOptions
  const until = now + toLifetime(within, 'within')
  const userId = ownerOf(checked)
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new KeywardError(
      'invalid_argument',
      `limit must be a whole number from 1 to ${MAX_PAGE_LIMIT}; got ${JSON.stringify(limit)}.`,
    )
  }
  const after = cursor === undefined || cursor === null ? undefined : decodeExpiryCursor(cursor)
  return { now, until, userId, limit, after }
}

/** A page cut from one user's whole list, for a store without `listExpiringTokens`. */
export function expiringInMemory(rows: readonly TokenRow[], query: ExpiringTokenQuery): TokenRow[] {
  const { now, until, after, limit } = query
  return rows
    .filter(
      (row): row is TokenRow & { expiresAt: number } =>
        row.revokedAt === null && row.expiresAt !== null && row.expiresAt > now && row.expiresAt <= until,
    )
    .filter(
      (row) =>
        after === undefined ||
        row.expiresAt > after.expiresAt ||
        (row.expiresAt === after.expiresAt && row.id > after.id),
    )
    .sort((a, b) => a.expiresAt - b.expiresAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit)
}

/** `purge()`'s options, with the cut-off `olderThan` before `now`. */
export function requirePurgeOptions(
  options: unknown,
  now: number,
): { before: number; dryRun: boolean; onProgress: ProgressCallback | null; batchSize: number } {
  const checked = requireObject(options, 'purge() options { olderThan, dryRun?, onProgress?, batchSize? }')
  assertKnownKeys(
    checked,
    PURGE_OPTIONS,
    (key) => `Unknown purge() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const {
    olderThan,
    dryRun = false,
    onProgress,
    batchSize = DEFAULT_PURGE_BATCH,
  } = checked as PurgeTokensOptions
  const age = toLifetime(olderThan, 'olderThan')
  if (age < MIN_PURGE_AGE_MS) {
    throw new KeywardError(
      'invalid_argument',
      `olderThan must be at least 1 day ('1d'); got ${JSON.stringify(olderThan)}.`,
    )
  }
  if (typeof dryRun !== 'boolean') {
    throw new KeywardError('invalid_argument', `dryRun must be true or false; got ${JSON.stringify(dryRun)}.`)
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new KeywardError('invalid_argument', 'onProgress must be a function (done, total) => void.')
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_PURGE_BATCH) {
    throw new KeywardError(
      'invalid_argument',
      `batchSize must be a whole number from 1 to ${MAX_PURGE_BATCH}; got ${JSON.stringify(batchSize)}.`,
    )
  }
  return { before: now - age, dryRun, onProgress: onProgress ?? null, batchSize }
}
