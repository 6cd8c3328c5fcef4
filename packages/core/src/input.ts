import { type DurationString, MAX_DURATION_MS, toLifetime } from './duration.js'
import { KeywardError } from './errors.js'

/**
 * The rules for text and values that callers hand the tokens and sessions APIs, in one place: a
 * bad value is refused up front with a precise message, before anything is read or written.
 */

/** Longest user id, token name or revocation reason. */
export const MAX_TEXT = 255
/** Largest `metadata` of a token, as UTF-8 JSON. */
export const MAX_METADATA_BYTES = 4096

/**
 * A non-empty string of at most 255 characters, well-formed UTF-16 and without NUL: a lone
 * surrogate would be collapsed to U+FFFD on its way to the store (two ids becoming one), and NUL is
 * refused by Postgres text.
 */
export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) {
    throw new KeywardError(
      'invalid_argument',
      `${what} must be a non-empty string of at most ${MAX_TEXT} characters.`,
    )
  }
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new KeywardError('invalid_argument', `${what} must be well-formed text: it holds a lone surrogate.`)
  }
  if (value.includes('\u0000')) {
    throw new KeywardError('invalid_argument', `${what} must not contain the NUL character (\\u0000).`)
  }
  return value
}

/**
 * The one rule for a user id, as a verdict (a claim in a session token): what `requireUserId`
 * takes, so that no user id is accepted that a store could not hold.
 */
export function isUserId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_TEXT &&
    (value as string & { isWellFormed(): boolean }).isWellFormed() &&
    !value.includes('\u0000')
  )
}

/** The one rule for a user id, as a check of an argument: see `requireText`. */
export function requireUserId(value: unknown, what = 'userId'): string {
  return requireText(value, what)
}

/**
 * The owner an admin-or-owner call is restricted to. No `userId` key at all is an admin call
 * (undefined: no owner check); a key that is there must name a user, so that passing
 * `req.principal?.userId` for a signed-out request cannot turn into an admin call.
 */
export function ownerOf(options: object): string | undefined {
  if (!Object.hasOwn(options, 'userId')) return undefined
  return requireUserId((options as { userId?: unknown }).userId)
}

/** Longest description of a token. */
export const MAX_DESCRIPTION = 1024

/** A token's description: text of at most 1024 characters; null or '' for none. */
export function requireDescription(value: unknown): string | null {
  if (value === null || value === '') return null
  if (typeof value !== 'string' || value.length > MAX_DESCRIPTION) {
    throw new KeywardError(
      'invalid_argument',
      `description must be a string of at most ${MAX_DESCRIPTION} characters, or null.`,
    )
  }
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed() || value.includes('\u0000')) {
    throw new KeywardError('invalid_argument', 'description must be well-formed text without NUL.')
  }
  return value
}

/** What `tokens.update()` may change: a name, a description, or both; nothing else. */
export function requireTokenChanges(changes: unknown): { name?: string; description?: string | null } {
  if (typeof changes !== 'object' || changes === null || Array.isArray(changes)) {
    throw new KeywardError('invalid_argument', 'The changes must be an object { name?, description? }.')
  }
  const out: { name?: string; description?: string | null } = {}
  for (const [key, value] of Object.entries(changes)) {
    if (key === 'name') out.name = requireText(value, 'name')
    else if (key === 'description') out.description = requireDescription(value)
    else
      throw new KeywardError(
        'invalid_argument',
        `Unknown change ${JSON.stringify(key)}: update() changes name or description.`,
      )
  }
  if (Object.keys(out).length === 0) {
    throw new KeywardError('invalid_argument', 'update() needs a name or description to change.')
  }
  return out
}

/** A plain object, copied through JSON, of at most 4 KiB as JSON. */
export function requireMetadata(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KeywardError('invalid_argument', 'metadata must be a plain object.')
  }
  let json: string | undefined
  try {
    json = JSON.stringify(value)
  } catch {
    throw new KeywardError(
      'invalid_argument',
      'metadata must be serialisable as JSON (no cycles, no BigInt).',
    )
  }
  if (typeof json !== 'string' || !json.startsWith('{')) {
    throw new KeywardError('invalid_argument', 'metadata must serialise to a JSON object.')
  }
  if (Buffer.byteLength(json, 'utf8') > MAX_METADATA_BYTES) {
    throw new KeywardError(
      'invalid_argument',
      `metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON; got ${Buffer.byteLength(json, 'utf8')}.`,
    )
  }
  return JSON.parse(json) as Record<string, unknown>
}

/**
 * A new token's expiry in epoch milliseconds (null: never), from `expiresIn` or `expiresAt`: in
 * the future and at most 100 years ahead, so that it is a valid Date and a finite cache deadline.
 */
export function requireExpiry(
  input: { expiresIn?: DurationString | null; expiresAt?: Date },
  now: number,
): number | null {
  if (input.expiresAt !== undefined && input.expiresIn != null) {
    throw new KeywardError('invalid_argument', 'Pass expiresIn or expiresAt, not both.')
  }
  let expiresAt: number | null = null
  if (input.expiresAt !== undefined) {
    if (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime())) {
      throw new KeywardError('invalid_argument', 'expiresAt must be a valid Date.')
    }
    expiresAt = input.expiresAt.getTime()
    if (expiresAt - now > MAX_DURATION_MS) {
      throw new KeywardError('invalid_argument', 'expiresAt must be at most 100 years from now.')
    }
  } else if (input.expiresIn != null) {
    expiresAt = now + toLifetime(input.expiresIn, 'expiresIn', 'invalid_argument', ', or pass expiresAt')
  }
  if (expiresAt !== null && expiresAt <= now) {
    throw new KeywardError('invalid_argument', 'The token would already be expired.')
  }
  return expiresAt
}
