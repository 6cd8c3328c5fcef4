import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { KeywardError } from './errors.js'

/**
 * A personal access token reads `<prefix>_<id>_<secret><checksum>`:
 * - `id`: 16 random bytes (128 bits) as 22 base62 characters; not secret, the store's primary key;
 * - `secret`: 32 random bytes as 43 base62 characters;
 * - `checksum`: CRC32 of everything before it, as 6 base62 characters, so a mistyped or random
 *   string is rejected offline and secret scanners can recognise a real token.
 */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const TOKEN_ID_LENGTH = 22
export const TOKEN_SECRET_LENGTH = 43
export const TOKEN_CHECKSUM_LENGTH = 6
/** Anything longer is refused before any other work. */
export const MAX_TOKEN_LENGTH = 255
export const TOKEN_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/

const ID_BYTES = 16
const SECRET_BYTES = 32
const TAIL_LENGTH = TOKEN_SECRET_LENGTH + TOKEN_CHECKSUM_LENGTH

/** Matches a Keyward token with any valid prefix, for secret scanners (`tokenPattern(prefix)` for one). */
export const TOKEN_REGEX = new RegExp(
  `\\b[a-z][a-z0-9]{1,15}_[0-9A-Za-z]{${TOKEN_ID_LENGTH}}_[0-9A-Za-z]{${TAIL_LENGTH}}\\b`,
)

export function assertTokenPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !TOKEN_PREFIX_PATTERN.test(prefix)) {
    throw new KeywardError(
      'invalid_option',
      `tokenPrefix must match ${TOKEN_PREFIX_PATTERN} (a lowercase letter, then 1 to 15 lowercase letters or digits); got ${JSON.stringify(prefix)}.`,
    )
  }
}

/** The regular expression that matches tokens minted with this prefix. */
export function tokenPattern(prefix: string, flags = ''): RegExp {
  assertTokenPrefix(prefix)
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${TOKEN_ID_LENGTH}}_[0-9A-Za-z]{${TAIL_LENGTH}}\\b`, flags)
}

/** Fixed-width base62 of a byte string (big-endian), left-padded with '0'. */
export function encodeBase62(bytes: Uint8Array, width: number): string {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  let out = ''
  while (value > 0n) {
    out = BASE62_ALPHABET[Number(value % 62n)] + out
    value /= 62n
  }
  if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`)
  return out.padStart(width, '0')
}

/** CRC32 of `text` as 6 base62 characters (62^6 > 2^32). */
export function checksum(text: string): string {
  let value = crc32(text)
  let out = ''
  for (let i = 0; i < TOKEN_CHECKSUM_LENGTH; i++) {
    out = BASE62_ALPHABET[value % 62] + out
    value = Math.floor(value / 62)
  }
  return out
}

export type GeneratedToken = { token: string; id: string; secret: string }

export function generateToken(prefix: string): GeneratedToken {
  const id = encodeBase62(randomBytes(ID_BYTES), TOKEN_ID_LENGTH)
  const secret = encodeBase62(randomBytes(SECRET_BYTES), TOKEN_SECRET_LENGTH)
  const body = `${prefix}_${id}_${secret}`
  return { token: body + checksum(body), id, secret }
}

export type ParsedToken = { id: string; secret: string }
/** Why a string is not a token of ours; for stats only, never shown to a client. */
export type TokenRejection = 'too_long' | 'malformed' | 'wrong_prefix' | 'bad_checksum'
export type TokenParseResult = { ok: true; token: ParsedToken } | { ok: false; reason: TokenRejection }

const BASE62_CHAR = /^[0-9A-Za-z]+$/

/**
 * Strict, bounded parse: length first, then the alphabet and shape, then the checksum. Pure and
 * synchronous: a string that fails here never reaches a store or a hasher.
 */
export function parseToken(input: string, prefix: string): TokenParseResult {
  if (input.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'too_long' }
  const expectedLength = prefix.length + 2 + TOKEN_ID_LENGTH + TAIL_LENGTH
  const idStart = prefix.length + 1
  const tailStart = idStart + TOKEN_ID_LENGTH + 1
  if (
    input.length !== expectedLength ||
    input.charCodeAt(idStart - 1) !== 95 /* _ */ ||
    input.charCodeAt(tailStart - 1) !== 95
  ) {
    return { ok: false, reason: 'malformed' }
  }
  const id = input.slice(idStart, tailStart - 1)
  const tail = input.slice(tailStart)
  if (!BASE62_CHAR.test(id) || !BASE62_CHAR.test(tail)) return { ok: false, reason: 'malformed' }
  if (!input.startsWith(prefix)) return { ok: false, reason: 'wrong_prefix' }
  const body = input.slice(0, expectedLength - TOKEN_CHECKSUM_LENGTH)
  if (checksum(body) !== input.slice(expectedLength - TOKEN_CHECKSUM_LENGTH)) {
    return { ok: false, reason: 'bad_checksum' }
  }
  return { ok: true, token: { id, secret: tail.slice(0, TOKEN_SECRET_LENGTH) } }
}

/** What a user may see of a token after creation, e.g. `myapp_3fK9x2…`. */
export function displayPrefix(prefix: string, id: string): string {
  return `${prefix}_${id.slice(0, 6)}…`
}
