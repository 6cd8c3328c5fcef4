import { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
import { requireUserId } from './input.js'
import type { Principal } from './principal.js'
import { normalizeScopes } from './scopes.js'

/**
 * The app's own login as a principal: `patAuth({ appSession })` asks the app who the request's
 * logged-in user is (express-session, passport's `req.user`, a Hono or Koa cookie session) and
 * which scopes it grants them, so that one route serves a logged-in browser and a script with a PAT.
 * Only consulted when the request has no Authorization header (and no Keyward session cookie):
 * a credential that is there decides alone, and a bad one is never replaced by the app's session.
 */

/** What `appSession` returns for a logged-in user: their id and the scopes the app grants them. */
export type AppSessionUser = { userId: string; scopes: readonly string[] }

/**
 * Called with the framework's request (Express `req`, Hono `c`, Koa `ctx`); null or undefined when
 * no one is logged in. May be async. Anything else it returns is a programming error: thrown.
 */
export type AppSession<Req = unknown> = (
  request: Req,
) => AppSessionUser | null | undefined | Promise<AppSessionUser | null | undefined>

const KEYS = new Set(['userId', 'scopes'])

function misuse(message: string, code: KeywardErrorCode = 'invalid_argument'): KeywardError {
  return new KeywardError(code, `patAuth(): appSession ${message}`)
}

/**
 * The principal for what `appSession` returned: null for no one, a frozen `session` principal
 * (no `sessionId`, no expiry: the app's session decides how long it lives) for a user. A value of
 * another shape throws, naming what is wrong: it is a bug in the app, not a client's fault.
 */
export function appSessionPrincipal(value: unknown): Principal | null {
  if (value === null || value === undefined) return null
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw misuse(`must return { userId, scopes } or null/undefined for no one; got ${typeof value}.`)
  }
  for (const key of Object.keys(value)) {
    if (!KEYS.has(key)) {
      throw misuse(
        `returned an unknown key ${JSON.stringify(key)}: return exactly { userId, scopes } (not the app's user object itself).`,
      )
    }
  }
  const { userId, scopes } = value as { userId?: unknown; scopes?: unknown }
  requireUserId(userId, 'patAuth(): the userId appSession returned')
  if (!Array.isArray(scopes)) {
    throw misuse('must return scopes as an array of scope strings (an empty array grants none).')
  }
  let granted: string[]
  try {
    granted = normalizeScopes(scopes, null)
  } catch (error) {
    if (isKeywardError(error)) throw misuse(`returned bad scopes: ${error.message}`, error.code)
    throw error
  }
  return Object.freeze({
    kind: 'session',
    userId: userId as string,
    scopes: Object.freeze(granted),
    expiresAt: null,
  })
}
