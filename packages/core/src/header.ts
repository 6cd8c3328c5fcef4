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
/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const JOINED_BEARER = /,[ \t]*bearer([ \t]|$)/i

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
    return /^[ \t]*bearer[ \t]/i.test(value)
      ? { ok: false, error: 'token_too_long' }
      : { ok: false, error: 'missing_token' }
  }
  // Node and the Fetch Headers class strip surrounding whitespace; do the same so every adapter agrees.
  value = value.replace(/^[ \t]+|[ \t]+$/g, '')
  if (value === '') return { ok: false, error: 'missing_token' }
  // Fetch-style runtimes join repeated header lines with ", ": a leading comma (an empty first line)
  // or a Bearer credential after a comma means the request carried several Authorization lines.
  if (value.includes(',') && (value.startsWith(',') || JOINED_BEARER.test(value))) {
    return { ok: false, error: 'multiple_credentials' }
  }
  if (
    value.length < 6 ||
    value.slice(0, 6).toLowerCase() !== 'bearer' ||
    !isSchemeBoundary(value.charCodeAt(6))
  ) {
    return { ok: false, error: 'missing_token' }
  }
  let start = 6
  while (value.charCodeAt(start) === 0x20) start++
  if (start === 6) return { ok: false, error: 'malformed_header' }
  const credential = value.slice(start)
  if (!B64TOKEN.test(credential)) {
    // A comma or a second token means several credentials; anything else is plain malformed.
    return /[ ,]/.test(credential) && B64TOKEN.test(credential.split(/[ ,]+/)[0] ?? '')
      ? { ok: false, error: 'multiple_credentials' }
      : { ok: false, error: 'malformed_header' }
  }
  if (credential.length > maxTokenLength) return { ok: false, error: 'token_too_long' }
  return { ok: true, credential }
}
