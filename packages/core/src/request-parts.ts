/** Reading the parts of a request the guard looks at beyond the Authorization header. Pure. */

/** Whether the URL's query carries `access_token` (RFC 6750 §2.3, refused by the guard). */
export function hasQueryToken(url: string): boolean {
  const query = url.indexOf('?')
  // The cheap test first; a percent sign may hide an encoded name (access%5Ftoken).
  if (query === -1 || !(url.includes('access', query) || url.includes('%', query))) return false
  return new URLSearchParams(url.slice(query + 1)).has('access_token')
}

/** One cookie's value from a Cookie header, quotes removed; undefined when absent. */
export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=')
    if (at !== -1 && pair.slice(0, at).trim() === name) {
      const value = pair.slice(at + 1).trim()
      return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
    }
  }
  return undefined
}
