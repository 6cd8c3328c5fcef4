import { MAX_TOKEN_LENGTH } from './token-format.js'

/**
 * What an adapter hands the core: the Authorization header value, or every value when the request
 * carried the header more than once (Node's `req.headers` keeps only the first; read `rawHeaders`).
 */
export type AuthorizationInput = string | readonly string[] | null | undefined

export type HeaderParseResult =
  | { ok: true; credential: string }
  | { ok: false; error: 'missing_token' | 'malformed_header' | 'multiple_credentials' | 'token_too_long' }

/** Room for the scheme and spaces on top of the longest credential accepted. */
const HEADER_SLACK = 64

// Everything below scans by index, once: a header is attacker-sized (up to 16 KB with long session
// tokens), and a backtracking regular expression over runs of spaces costs time squared.

const isBlank = (code: number) => code === 0x20 || code === 0x09

/** RFC 6750 §2.1 b64token characters before the padding: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/". */
function isB64Char(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x2d ||
    code === 0x2e ||
    code === 0x5f ||
    code === 0x7e ||
    code === 0x2b ||
    code === 0x2f
  )
}

/** `b64token = 1*( b64 characters ) *"="` over `value[start, end)`. */
function isB64Token(value: string, start: number, end: number): boolean {
  let i = start
  while (i < end && isB64Char(value.charCodeAt(i))) i++
  if (i === start) return false
  while (i < end && value.charCodeAt(i) === 0x3d) i++
  return i === end
}

/** Does `value` read "bearer" (any case) at `at`? */
function bearerAt(value: string, at: number): boolean {
  return value.length >= at + 6 && value.slice(at, at + 6).toLowerCase() === 'bearer'
}

/** A comma, optional blanks, then "bearer" and a blank or the end: a second Authorization line joined on. */
function hasJoinedBearer(value: string): boolean {
  for (let comma = value.indexOf(','); comma !== -1; comma = value.indexOf(',', comma + 1)) {
    let i = comma + 1
    while (isBlank(value.charCodeAt(i))) i++
    if (bearerAt(value, i) && (i + 6 === value.length || isBlank(value.charCodeAt(i + 6)))) return true
  }
  return false
}

function isSchemeBoundary(code: number): boolean {
  // Whatever follows "Bearer" decides whether it is our scheme at all: "BearerX" is another scheme.
  return Number.isNaN(code) || code === 0x20 || code === 0x09 || code === 0x2c || code > 0x7e || code < 0x20
}

/**
 * RFC 6750 §2.1 grammar, strict: `Bearer` (any case), one or more spaces, exactly one b64token.
 * Another scheme (or nothing) is `missing_token`: RFC 6750 §3.1 answers it with a bare challenge.
 */
export function parseAuthorization(
  input: AuthorizationInput,
  maxTokenLength: number = MAX_TOKEN_LENGTH,
): HeaderParseResult {
  let value: string | null | undefined
  if (typeof input === 'string' || input == null) {
    value = input
  } else {
    // Two header lines are two credentials, whatever they hold (an empty line included).
    if (input.length > 1) return { ok: false, error: 'multiple_credentials' }
    value = input[0]
  }
  if (value == null) return { ok: false, error: 'missing_token' }
  // Longer headers are refused before they are scanned.
  if (value.length > maxTokenLength + HEADER_SLACK) {
    let i = 0
    while (isBlank(value.charCodeAt(i))) i++
    return bearerAt(value, i) && isBlank(value.charCodeAt(i + 6))
      ? { ok: false, error: 'token_too_long' }
      : { ok: false, error: 'missing_token' }
  }
  // Node and the Fetch Headers class strip surrounding whitespace; do the same so every adapter agrees.
  let first = 0
  let end = value.length
  while (first < end && isBlank(value.charCodeAt(first))) first++
  while (end > first && isBlank(value.charCodeAt(end - 1))) end--
  if (first > 0 || end < value.length) value = value.slice(first, end)
  if (value === '') return { ok: false, error: 'missing_token' }
  // Fetch-style runtimes join repeated header lines with ", ": a leading comma (an empty first line)
  // or a Bearer credential after a comma means the request carried several Authorization lines.
  if (value.includes(',') && (value.startsWith(',') || hasJoinedBearer(value))) {
    return { ok: false, error: 'multiple_credentials' }
  }
  if (!bearerAt(value, 0) || !isSchemeBoundary(value.charCodeAt(6))) {
    return { ok: false, error: 'missing_token' }
  }
  let start = 6
  while (value.charCodeAt(start) === 0x20) start++
  if (start === 6) return { ok: false, error: 'malformed_header' }
  if (!isB64Token(value, start, value.length)) {
    // A comma or a second token means several credentials; anything else is plain malformed.
    let cut = start
    while (cut < value.length && value.charCodeAt(cut) !== 0x20 && value.charCodeAt(cut) !== 0x2c) cut++
    return cut < value.length && isB64Token(value, start, cut)
      ? { ok: false, error: 'multiple_credentials' }
      : { ok: false, error: 'malformed_header' }
  }
  const credential = value.slice(start)
  if (credential.length > maxTokenLength) return { ok: false, error: 'token_too_long' }
  return { ok: true, credential }
}
