import type { AuditAction, AuditPageOptions } from './audit.js'
import { type DurationString, toGracePeriod, toLifetime } from './duration.js'
import { KeywardError } from './errors.js'
import { requireDescription, requireText, requireTokenChanges } from './input.js'
import { assertScopeSyntax, MAX_SCOPES } from './scopes.js'
import type { TokenStatus } from './store.js'
import type { TokenPageOptions } from './token-pages.js'

/**
 * The request bodies and queries of the token routes, checked before anything is read or written:
 * each function returns the call's input or throws `invalid_argument` with a precise message.
 */

/** A request body as an adapter has it: raw text, JSON a body parser already parsed, or too large. */
export type RouteBody =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'parsed'; readonly value: unknown }
  | { readonly kind: 'too_large' }

export type CreateInput = {
  name: string
  scopes: string[]
  expiresIn?: DurationString | null
  description: string | null
}

const CREATE_KEYS: ReadonlySet<string> = new Set(['name', 'scopes', 'expiresIn', 'description'])
const ROTATE_KEYS: ReadonlySet<string> = new Set(['gracePeriod'])
const QUERY_KEYS: ReadonlySet<string> = new Set(['status', 'limit', 'cursor'])
const AUDIT_QUERY_KEYS: ReadonlySet<string> = new Set(['tokenId', 'action', 'limit', 'cursor'])
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i
const LIMIT = /^\d{1,4}$/

function invalid(message: string): never {
  throw new KeywardError('invalid_argument', message)
}

/** JSON only: what an HTML form or a `no-cors` fetch cannot send without the browser's preflight. */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  return typeof contentType === 'string' && JSON_MEDIA_TYPE.test(contentType.trim())
}

/** The body's JSON value; an empty body is `{}` (a rotation without options). */
export function bodyValue(body: RouteBody & { kind: 'text' | 'parsed' }): unknown {
  if (body.kind === 'parsed') return body.value ?? {}
  if (body.text.trim() === '') return {}
  try {
    return JSON.parse(body.text) as unknown
  } catch {
    return invalid('The body is not valid JSON.')
  }
}

function objectOf(value: unknown, known: ReadonlySet<string>, shape: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(`The body must be a JSON object ${shape}.`)
  }
  for (const key of Object.keys(value)) {
    if (!known.has(key)) invalid(`Unknown field ${JSON.stringify(key.slice(0, 64))}: the body is ${shape}.`)
  }
  return value as Record<string, unknown>
}

function grantedScopes(value: unknown, grantable: ReadonlySet<string>): string[] {
  if (!Array.isArray(value)) invalid('scopes must be an array of scope names (an empty array grants none).')
  if (value.length > MAX_SCOPES)
    invalid(`scopes must list at most ${MAX_SCOPES} scopes; got ${value.length}.`)
  for (const scope of value) {
    if (typeof scope !== 'string' || scope.length > 128)
      invalid('Each scope must be a name of 1 to 128 characters.')
    assertScopeSyntax(scope)
    if (!grantable.has(scope)) {
      const known =
        grantable.size === 0 ? 'none is grantable here' : `grantable: ${[...grantable].join(', ')}`
      invalid(`Unknown scope ${JSON.stringify(scope)} (${known}).`)
    }
  }
  return [...new Set(value as string[])].sort()
}

/** `POST /tokens`: the lifetime policy itself is applied by `tokens.create`. */
export function createInput(value: unknown, grantable: ReadonlySet<string>): CreateInput {
  const body = objectOf(value, CREATE_KEYS, '{ name, scopes, expiresIn?, description? }')
  const name = requireText(body.name, 'name')
  const scopes = grantedScopes(body.scopes ?? [], grantable)
  const description = body.description === undefined ? null : requireDescription(body.description)
  const input: CreateInput = { name, scopes, description }
  if (body.expiresIn === null) input.expiresIn = null
  else if (body.expiresIn !== undefined) {
    toLifetime(body.expiresIn, 'expiresIn')
    input.expiresIn = body.expiresIn as DurationString
  }
  return input
}

/** `PATCH /tokens/:id`. */
export function changesInput(value: unknown): { name?: string; description?: string | null } {
  return requireTokenChanges(value)
}

/** `POST /tokens/:id/rotate`: `{ gracePeriod?: '1h' | 0 }`. */
export function rotateInput(value: unknown): { gracePeriod: DurationString | 0 } {
  const body = objectOf(value, ROTATE_KEYS, "{ gracePeriod?: a duration such as '1h', or 0 }")
  const gracePeriod = (body.gracePeriod ?? 0) as DurationString | 0
  toGracePeriod(gracePeriod)
  return { gracePeriod }
}

/** Each known parameter at most once, nothing else; `limit` as a number. */
function queryOf(query: URLSearchParams, known: ReadonlySet<string>) {
  for (const key of new Set(query.keys())) {
    if (!known.has(key)) {
      invalid(
        `Unknown query parameter ${JSON.stringify(key.slice(0, 64))} (known: ${[...known].join(', ')}).`,
      )
    }
    if (query.getAll(key).length > 1) invalid(`The query parameter ${key} is given more than once.`)
  }
  const limit = query.get('limit')
  if (limit !== null && !LIMIT.test(limit)) {
    invalid(`limit must be a whole number from 1 to 100; got ${JSON.stringify(limit)}.`)
  }
  return { limit: limit === null ? undefined : Number(limit), cursor: query.get('cursor') }
}

/** `GET /tokens?status=&limit=&cursor=`: each at most once, nothing else. */
export function pageInput(query: URLSearchParams): TokenPageOptions {
  const { limit, cursor } = queryOf(query, QUERY_KEYS)
  const options: TokenPageOptions = {}
  const status = query.get('status')
  if (status !== null) options.status = status as TokenStatus
  if (limit !== undefined) options.limit = limit
  if (cursor !== null) options.cursor = cursor
  return options
}

/** `GET /audit?tokenId=&action=&limit=&cursor=`: the caller's own entries; `audit.page()` checks the values. */
export function auditInput(query: URLSearchParams): Omit<AuditPageOptions, 'userId'> {
  const { limit, cursor } = queryOf(query, AUDIT_QUERY_KEYS)
  const options: Omit<AuditPageOptions, 'userId'> = {}
  const tokenId = query.get('tokenId')
  const action = query.get('action')
  if (tokenId !== null) options.tokenId = tokenId
  if (action !== null) options.action = action as AuditAction
  if (limit !== undefined) options.limit = limit
  if (cursor !== null) options.cursor = cursor
  return options
}
