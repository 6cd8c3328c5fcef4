import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'

/**
 * The cross-site request defence of session cookies. A cookie is sent by the browser whatever page
 * made the request, so a form on another site could act with the user's session: requests with
 * unsafe methods that are seen to come from another origin do not get to use the cookie. Bearer
 * headers are never concerned (a page cannot make a browser add one to another site's request).
 */

export type CrossSiteOptions = {
  /**
   * Origins besides the request's own (`https://app.example.com`: scheme, host and port if not the
   * default) whose pages may send unsafe requests with the session cookie.
   */
  trustedOrigins?: readonly string[]
  /** Also accept pages of other origins of the same site (`Sec-Fetch-Site: same-site`). Default false. */
  allowSameSite?: boolean
}

/** What the check reads from a request; called only for a credential taken from the cookie. */
export type CrossSiteReaders<Req> = {
  /** The request method as sent (`GET`, `POST`, …). */
  method?: (request: Req) => string | undefined
  /** A request header by lower-case name; nothing (or `''`) when absent. */
  header?: (request: Req, name: 'origin' | 'sec-fetch-site') => string | null | undefined
  /** The request's own host (and port), honouring the app's proxy trust where the framework does. */
  host?: (request: Req) => string | null | undefined
}

/** True when the request must not use the cookie. */
export type CrossSiteCheck = (request: unknown, readers: CrossSiteReaders<unknown>) => boolean

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
const OPTIONS = new Set(['trustedOrigins', 'allowSameSite'])

function assertOrigin(value: unknown): string {
  let url: URL | null = null
  try {
    url = typeof value === 'string' ? new URL(value) : null
  } catch {}
  if (url === null || url.origin === 'null' || url.origin !== value) {
    throw new KeywardError(
      'invalid_option',
      `patAuth(): \`csrf.trustedOrigins\` takes origins such as "https://app.example.com" (scheme and host, a port if not the default, no path or trailing slash); got ${JSON.stringify(value)}.`,
    )
  }
  return url.origin
}

function sameHost(origin: string, host: string | null | undefined): boolean {
  const start = origin.indexOf('://')
  if (start === -1 || !host) return false
  return origin.slice(start + 3).toLowerCase() === host.toLowerCase()
}

/** Validates `csrf` when the guard is built; null when the check is off (`csrf: false`). */
export function createCrossSiteCheck(options: CrossSiteOptions | false | undefined): CrossSiteCheck | null {
  if (options === false) return null
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new KeywardError('invalid_option', 'patAuth(): `csrf` must be false or an object.')
  }
  assertKnownKeys(options ?? {}, OPTIONS, (key) => `patAuth(): unknown option csrf.${key}`)
  const allowSameSite = options?.allowSameSite ?? false
  if (typeof allowSameSite !== 'boolean')
    throw new KeywardError('invalid_option', 'patAuth(): `csrf.allowSameSite` must be a boolean.')
  const listed = options?.trustedOrigins ?? []
  if (!Array.isArray(listed))
    throw new KeywardError('invalid_option', 'patAuth(): `csrf.trustedOrigins` must be an array of origins.')
  const trusted = new Set(listed.map(assertOrigin))

  return (request, { method, header, host }) => {
    // Without the method (an adapter that passes only a cookie reader) there is nothing to go on.
    const verb = method?.(request)
    if (verb === undefined || SAFE_METHODS.has(verb)) return false
    const origin = header?.(request, 'origin') || null
    if (origin !== null && trusted.has(origin)) return false
    // Sent by every current browser, and not settable by a page: the browser's own verdict.
    const site = header?.(request, 'sec-fetch-site') || null
    if (site !== null)
      return !(site === 'same-origin' || site === 'none' || (site === 'same-site' && allowSameSite))
    // Older browsers: the Origin header, against the request's own host.
    if (origin !== null) return !sameHost(origin, host?.(request))
    // Neither header: not a browser's cross-site request (a script, a CLI, a server).
    return false
  }
}
