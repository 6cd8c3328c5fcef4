import type { AuditEntry } from './audit.js'
import { isKeywardError, type KeywardErrorCode } from './errors.js'
import type { TokenRecord } from './keyward-types.js'

/**
 * What the token-management routes answer, decided once for every adapter: the one JSON error
 * shape with its stable codes, the mapping from KeywardError codes, and tokens as JSON.
 */

/** The stable error codes of the token routes; `{ error: { code, message } }` in every error answer. */
export type TokenRouteErrorCode =
  | 'unauthenticated'
  | 'pat_not_allowed'
  | 'cross_site_request'
  | 'reauthentication_required'
  | 'not_found'
  | 'method_not_allowed'
  | 'invalid_argument'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'too_many_tokens'
  | 'token_not_active'
  | 'unavailable'

/** One answer: an adapter copies status, headers and body into its response as they are. */
export type TokenRouteResponse = {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** JSON text; the plaintext token appears only in the 201 of create and rotate. */
  readonly body: string
}

/** A token as JSON: the `TokenRecord` with its dates as ISO strings (null stays null). */
export type TokenJSON = Omit<TokenRecord, 'createdAt' | 'expiresAt' | 'lastUsedAt' | 'revokedAt'> & {
  readonly createdAt: string
  readonly expiresAt: string | null
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

const STATUS_OF: Readonly<Record<TokenRouteErrorCode, number>> = {
  unauthenticated: 401,
  pat_not_allowed: 403,
  cross_site_request: 403,
  reauthentication_required: 401,
  not_found: 404,
  method_not_allowed: 405,
  invalid_argument: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  too_many_tokens: 409,
  token_not_active: 409,
  unavailable: 503,
}

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString())

/** An audit entry as JSON: `at` as an ISO string. */
export type AuditEntryJSON = Omit<AuditEntry, 'at'> & { readonly at: string }

/**
 * An audit entry as the routes show it to the user it concerns: the request's address and
 * User-Agent only where the user (or one of their tokens) acted, not an administrator's.
 */
export function auditEntryJSON(entry: AuditEntry, userId: string): AuditEntryJSON {
  const { actor } = entry
  const own = (actor.kind === 'user' && actor.id === userId) || actor.kind === 'token'
  return {
    ...entry,
    at: entry.at.toISOString(),
    actor: own ? actor : { ...actor, address: null, userAgent: null },
  }
}

export function tokenJSON(record: TokenRecord): TokenJSON {
  return {
    ...record,
    createdAt: record.createdAt.toISOString(),
    expiresAt: iso(record.expiresAt),
    lastUsedAt: iso(record.lastUsedAt),
    revokedAt: iso(record.revokedAt),
  }
}

/** Every answer, success or error: JSON, never stored by a cache or a browser (it may hold a token). */
export function jsonAnswer(
  status: number,
  value: unknown,
  extraHeaders: Record<string, string> = {},
): TokenRouteResponse {
  return {
    status,
    headers: {
      'Cache-Control': 'no-store',
      'Content-Type': 'application/json; charset=utf-8',
      ...extraHeaders,
    },
    body: JSON.stringify(value),
  }
}

export function errorAnswer(
  code: TokenRouteErrorCode,
  message: string,
  extraHeaders: Record<string, string> = {},
): TokenRouteResponse {
  return jsonAnswer(STATUS_OF[code], { error: { code, message } }, extraHeaders)
}

const CLIENT_ERRORS: ReadonlySet<KeywardErrorCode> = new Set([
  'invalid_argument',
  'invalid_scope',
  'unknown_scope',
])
const OUTAGES: ReadonlySet<KeywardErrorCode> = new Set(['store_error', 'closed', 'invalidation_unconfirmed'])

/**
 * The answer for an error thrown by `kw.tokens`, or null for one that is not the client's doing nor
 * an outage (a bug or a misconfiguration: the adapter lets the framework answer 500). An outage's
 * message is generic: the store's own words stay on the server.
 */
export function answerForError(error: unknown, retryAfterSeconds: number): TokenRouteResponse | null {
  if (!isKeywardError(error)) return null
  if (CLIENT_ERRORS.has(error.code)) return errorAnswer('invalid_argument', error.message)
  if (error.code === 'token_not_found') return errorAnswer('not_found', 'No such token.')
  if (error.code === 'token_not_active') return errorAnswer('token_not_active', error.message)
  if (error.code === 'too_many_tokens') return errorAnswer('too_many_tokens', error.message)
  if (OUTAGES.has(error.code)) {
    return errorAnswer('unavailable', 'Token management is temporarily unavailable. Retry later.', {
      'Retry-After': String(retryAfterSeconds),
    })
  }
  return null
}
