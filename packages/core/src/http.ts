import { type AppSession, appSessionPrincipal } from './app-session.js'
import type { ClientReader } from './client-address.js'
import { type CrossSiteOptions, type CrossSiteReaders, createCrossSiteCheck } from './cross-site.js'
import { authError, KeywardError } from './errors.js'
import type { AuthorizationInput } from './header.js'
import { failureFor, type HttpFailure } from './http-answers.js'
import { markFromEnvironment, openInstances } from './instances.js'
import { createKeyward, type Keyward } from './keyward.js'
import { assertKnownKeys } from './option-checks.js'
import type { Principal } from './principal.js'

export {
  assertRequiredScopes,
  authorizationFromRawHeaders,
  failureFor,
  type HttpFailure,
  scopeFailure,
} from './http-answers.js'

import { hasQueryToken, readCookie } from './request-parts.js'

export type GuardOptions<Req = unknown> = {
  /**
   * Default: the one Keyward instance open in this process (the app's own `createKeyward()`), or,
   * when none is open, one configured from the environment; several open instances are an error
   * naming the choice. Resolved when `patAuth()` is called if an instance is open then, otherwise
   * at the first request (apps often build their middleware before their instance).
   */
  keyward?: Keyward
  /** Let requests without credentials through with no principal; bad credentials are still refused. */
  optional?: boolean
  /** The `realm` of every challenge. Default `"api"`. */
  realm?: string
  /** Which credentials this route takes: `'pat'`, `'session'` or both (`'any'`, the default). */
  accept?: 'any' | 'pat' | 'session'
  /**
   * Also read a session token from this cookie when there is no Authorization header (browser
   * apps). Only session tokens are taken from it. A request with an unsafe method (not GET, HEAD or
   * OPTIONS) that a browser says comes from another site cannot use it: see `csrf`. On an `optional`
   * route, a cookie that is stale, invalid or sent cross-site counts as no credential.
   */
  sessionCookie?: string
  /**
   * The cross-site request defence of `sessionCookie`, on by default: an unsafe request whose
   * `Sec-Fetch-Site` is `cross-site` (or `same-site`, unless `allowSameSite`), or, without that
   * header, whose `Origin` is not the request's own, is answered 403 `cross_site_request`, unless its
   * Origin is one of `trustedOrigins`. Requests with neither header (scripts, CLIs) pass. `false`
   * turns it off, for an app with CSRF tokens of its own. It applies to `appSession` principals too.
   */
  csrf?: CrossSiteOptions | false
  /**
   * The app's own login as a principal of kind `session`: called with the framework's request
   * (Express `req`, Hono `c`, Koa `ctx`) when it has no Authorization header (and no Keyward
   * session cookie), it returns `{ userId, scopes }` for the logged-in user, with the scopes the app
   * grants them, or null/undefined for no one; it may be async. A header, when present, decides
   * alone. Any other return value is a bug and throws a KeywardError (a 500, never a 401). The
   * cross-site defence (`csrf`) applies, since a cookie login is ambient.
   */
  appSession?: AppSession<Req>
}

/**
 * Reads a request's Cookie header, called only when `sessionCookie` is set and the request has no
 * Authorization header. An adapter shares one reader among all requests (it takes the request), so
 * that a request allocates nothing to pass it.
 */
export type CookieReader<Req> = (request: Req) => string | null | undefined

/**
 * What an adapter reads from a request besides the Authorization header, each only when needed.
 * An adapter builds one such object when patAuth() is called and passes it with every request.
 */
export type RequestReaders<Req> = CrossSiteReaders<Req> & {
  /** The Cookie header: read only when `sessionCookie` is set and there is no Authorization header. */
  cookie?: CookieReader<Req>
  /** The client's address, honouring the app's proxy trust: read only on a cache miss. */
  client?: ClientReader<Req>
}

export type GuardResult = { ok: true; principal: Principal | null } | { ok: false; failure: HttpFailure }

export type Guard = {
  readonly realm: string
  readonly optional: boolean
  /**
   * `authorization`: every `Authorization` value the request carried (see
   * `authorizationFromRawHeaders`); `url`: the request target, to refuse tokens in the query string.
   * An adapter passes the request and its `RequestReaders` (or, the earlier form, only the reader of
   * its Cookie header).
   */
  authenticate(authorization: AuthorizationInput, url: string): GuardResult | Promise<GuardResult>
  authenticate<Req>(
    authorization: AuthorizationInput,
    url: string,
    request: Req,
    readers: RequestReaders<Req> | CookieReader<Req>,
  ): GuardResult | Promise<GuardResult>
}

const REALM = /^[\x20-\x7e]{1,100}$/
const GUARD_OPTIONS = new Set([
  'keyward',
  'optional',
  'realm',
  'onError',
  'accept',
  'sessionCookie',
  'csrf',
  'appSession',
])
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  )
}

function isKeyward(value: unknown): value is Keyward {
  return typeof value === 'object' && value !== null && typeof (value as Keyward).check === 'function'
}

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const NO_PRINCIPAL: GuardResult = Object.freeze({ ok: true, principal: null })

/**
 * The instance `patAuth()` uses when given none: the only Keyward instance open in this process
 * (whichever copy of the core created it); with none open, a new one from the environment
 * (`KEYWARD_DATABASE_URL`), registered so that the next call finds it. With several open it throws:
 * there is no right guess, and a wrong one is a second cache that misses revocations.
 */
export function defaultKeyward(): Keyward {
  const open = openInstances()
  if (open.length === 1) return open[0] as Keyward
  if (open.length > 1) {
    throw new KeywardError(
      'invalid_option',
      `${open.length} Keyward instances in this process: pass the one to use, patAuth(kw). ` +
        'patAuth() with no argument uses the only open instance, or one from the environment when none is open.',
    )
  }
  const created = createKeyward()
  markFromEnvironment(created)
  return created
}

/** Validates adapter options once, when the middleware factory is called. */
export function createGuard<Req = unknown>(
  arg?: Keyward | (GuardOptions<Req> & { onError?: unknown }),
): Guard {
  const options: GuardOptions<Req> & { onError?: unknown } = isKeyward(arg) ? { keyward: arg } : (arg ?? {})
  if (typeof options !== 'object')
    throw new KeywardError('invalid_option', 'patAuth() takes a Keyward instance or an options object.')
  assertKnownKeys(options, GUARD_OPTIONS, (key) => `patAuth(): unknown option ${JSON.stringify(key)}`)
  if (options.keyward !== undefined && !isKeyward(options.keyward)) {
    throw new KeywardError('invalid_option', 'patAuth(): `keyward` must be an instance from createKeyward().')
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new KeywardError('invalid_option', 'patAuth(): `onError` must be a function.')
  }
  const realm = options.realm ?? 'api'
  if (typeof realm !== 'string' || !REALM.test(realm)) {
    throw new KeywardError(
      'invalid_option',
      'patAuth(): `realm` must be 1 to 100 printable ASCII characters.',
    )
  }
  const optional = options.optional ?? false
  if (typeof optional !== 'boolean')
    throw new KeywardError('invalid_option', 'patAuth(): `optional` must be a boolean.')
  const accept = options.accept ?? 'any'
  if (accept !== 'any' && accept !== 'pat' && accept !== 'session') {
    throw new KeywardError('invalid_option', "patAuth(): `accept` must be 'any', 'pat' or 'session'.")
  }
  const sessionCookie = options.sessionCookie
  if (
    sessionCookie !== undefined &&
    (typeof sessionCookie !== 'string' || !COOKIE_NAME.test(sessionCookie))
  ) {
    throw new KeywardError('invalid_option', 'patAuth(): `sessionCookie` must be a cookie name.')
  }
  const appSession = options.appSession as AppSession<unknown> | undefined
  if (appSession !== undefined && typeof appSession !== 'function') {
    throw new KeywardError('invalid_option', 'patAuth(): `appSession` must be a function of the request.')
  }
  if (appSession !== undefined && accept === 'pat') {
    throw new KeywardError(
      'invalid_option',
      "patAuth(): `appSession` makes session principals, which `accept: 'pat'` refuses: drop one of them.",
    )
  }
  if (options.csrf !== undefined && sessionCookie === undefined && appSession === undefined) {
    throw new KeywardError(
      'invalid_option',
      'patAuth(): `csrf` concerns cookie logins: set `sessionCookie` too, or `appSession`.',
    )
  }
  const crossSite = createCrossSiteCheck(options.csrf)
  // Resolved now when the choice is already made (one open instance; several throw at start-up),
  // else at the first request: an app often builds its middleware before its instance.
  let keyward: Keyward | null = options.keyward ?? (openInstances().length > 0 ? defaultKeyward() : null)
  const queryTokenFailure = failureFor(authError('multiple_credentials'), realm)
  const crossSiteRefused: GuardResult = Object.freeze({
    ok: false,
    failure: failureFor(authError('cross_site_request'), realm),
  })

  const settle = (result: Awaited<ReturnType<Keyward['check']>>): GuardResult => {
    // A success is passed through as it is: on a cache hit it is a shared, frozen object.
    if (result.ok) return result
    if (optional && result.error.code === 'missing_token') return NO_PRINCIPAL
    return { ok: false, failure: failureFor(result.error, realm) }
  }
  // An optional route is a public page too: a stale or logged-out cookie there means no one.
  const settleCookie = (result: Awaited<ReturnType<Keyward['check']>>): GuardResult =>
    optional && !result.ok && result.error.code === 'invalid_token' ? NO_PRINCIPAL : settle(result)
  // The app's login: no one falls through to the ordinary answer for a request without credentials.
  const settleAppSession = (
    value: unknown,
    kw: Keyward,
    request: unknown,
    readers: RequestReaders<unknown> | CookieReader<unknown> | undefined,
  ): GuardResult | Promise<GuardResult> => {
    const principal = appSessionPrincipal(value)
    if (principal === null) {
      const result = kw.check(undefined, accept)
      return result instanceof Promise ? result.then(settle) : settle(result)
    }
    if (crossSite !== null && typeof readers === 'object' && crossSite(request, readers)) {
      return optional ? NO_PRINCIPAL : crossSiteRefused
    }
    return { ok: true, principal }
  }

  return {
    realm,
    optional,
    authenticate(
      authorization: AuthorizationInput,
      url: string,
      request?: unknown,
      readers?: RequestReaders<unknown> | CookieReader<unknown>,
    ): GuardResult | Promise<GuardResult> {
      keyward ??= defaultKeyward()
      if (hasQueryToken(url)) {
        // RFC 6750 §2.3 is not supported: a token in a URL ends up in logs. With a header as well, it is
        // two credentials (400); alone, the request simply has none of ours.
        const hasHeader = authorization != null && authorization.length > 0
        if (hasHeader) return { ok: false, failure: queryTokenFailure }
      }
      // A bare CookieReader has no `client`: the property reads undefined on a function too.
      const readClient = (readers as RequestReaders<unknown> | undefined)?.client
      if (sessionCookie !== undefined && (authorization == null || authorization.length === 0)) {
        // Only a value shaped like a session token counts: an empty or stale cookie is no credential.
        const readRequestCookie = typeof readers === 'function' ? readers : readers?.cookie
        const fromCookie = readCookie(readRequestCookie?.(request), sessionCookie)
        if (
          fromCookie !== undefined &&
          B64TOKEN.test(fromCookie) &&
          keyward.credentialKind(fromCookie) === 'session'
        ) {
          if (crossSite !== null && typeof readers === 'object' && crossSite(request, readers)) {
            return optional ? NO_PRINCIPAL : crossSiteRefused
          }
          const kind = accept === 'pat' ? 'pat' : 'session'
          // An instance made by an older copy of the core (see defaultKeyward) takes only headers.
          const result =
            typeof keyward.checkCredential === 'function'
              ? keyward.checkCredential(fromCookie, kind, request, readClient)
              : keyward.check(`Bearer ${fromCookie}`, kind, request, readClient)
          return result instanceof Promise ? result.then(settleCookie) : settleCookie(result)
        }
      }
      if (appSession !== undefined && (authorization == null || authorization.length === 0)) {
        const kw = keyward
        const value: unknown = appSession(request)
        return isThenable(value)
          ? Promise.resolve(value).then((user) => settleAppSession(user, kw, request, readers))
          : settleAppSession(value, kw, request, readers)
      }
      const result = keyward.check(authorization, accept, request, readClient)
      return result instanceof Promise ? result.then(settle) : settle(result)
    },
  }
}
