import { TOKEN_REGEX } from '@keyward/core'

/** A Keyward PAT with any prefix, anywhere in a text. */
const PAT = new RegExp(TOKEN_REGEX.source, 'g')
/** A JWT (a session token): three base64url parts, the first a JSON header. */
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}/g

/**
 * The text with anything shaped like a token replaced by `[token]`: applied to every message the
 * CLI writes to stderr, which may quote what a user typed.
 */
export function redactTokens(text: string): string {
  return text.replace(PAT, '[token]').replace(JWT, '[token]')
}

/** Whether a text holds anything shaped like a token (what `redactTokens` would replace). */
export function containsToken(text: string): boolean {
  return redactTokens(text) !== text
}

/** Whether an argument looks like a whole token (a PAT of any prefix, or a session token). */
export function looksLikeToken(text: string): boolean {
  return new RegExp(`^${TOKEN_REGEX.source}$`).test(text) || /^eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]{4,}$/.test(text)
}

/** A URL with its password (and a query that may carry one) replaced, for saying which database is used. */
export function maskUrl(text: string): string {
  try {
    const url = new URL(text)
    const query = url.search !== ''
    if (url.password !== '') url.password = '***'
    url.search = ''
    return `${url.toString()}${query ? '?…' : ''}`
  } catch {
    // Not a URL the WHATWG parser takes (a bad port, a broken host), yet it may hold a password:
    // masked by its shape, everything up to the last `@` after `user:`; the query dropped.
    return text.replace(/^([a-z][\w+.-]*:\/\/[^:/@]*):.*@/is, '$1:***@').replace(/\?.*$/s, '?…')
  }
}
