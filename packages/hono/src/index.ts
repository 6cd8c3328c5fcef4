import {
  authorizationFromRawHeaders,
  createGuard,
  createScopeCheck,
  type GuardOptions,
  type HttpFailure,
  type Keyward,
  type Principal,
  type RequestReaders,
  type RequiredScope,
  realmOf,
  rememberRealm,
} from '@keyward/core'
import type { Context, MiddlewareHandler } from 'hono'
import { type ClientAddress, type NodeEnv, socketAddress, takeClientAddress } from './client-address.js'

export type { Principal } from '@keyward/core'

/** The Env of routes behind `patAuth()`: `c.get('principal')` is typed. */
export type KeywardEnv = { Variables: { principal: Principal } }
/** With `optional: true` a request may carry no credentials, so there may be no principal. */
export type OptionalKeywardEnv = { Variables: { principal: Principal | undefined } }

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `patAuth()`; type your app with `KeywardEnv` to have it without `undefined`. */
    principal: Principal | undefined
  }
}

/** `appSession` is called with Hono's context `c` (`c.get('user')`, a cookie read with `getCookie(c)`). */
export type PatAuthOptions = GuardOptions<Context> & {
  /** Answer authentication failures yourself; return nothing to send Keyward's own answer. */
  onError?: (failure: HttpFailure, c: Context) => Response | undefined | Promise<Response | undefined>
  /**
   * The client's address, for the wrong-secret throttle (read only on a cache miss). Default: the
   * socket's address on @hono/node-server, nothing elsewhere. Behind a proxy, or on another runtime,
   * return the address your proxy vouches for (e.g. from `getConnInfo`, or the last hop of
   * X-Forwarded-For that your own proxy appended).
   */
  clientAddress?: ClientAddress
}

function readersFor(clientAddress: PatAuthOptions['clientAddress']): RequestReaders<Context> {
  return {
    cookie: (c) => c.req.header('cookie'),
    client: clientAddress ?? socketAddress,
    method: (c) => c.req.method,
    header: (c, name) => c.req.header(name),
    host: (c) => c.req.header('host') ?? new URL(c.req.url).host,
  }
}

function respond(failure: HttpFailure): Response {
  return new Response(failure.body, { status: failure.status, headers: failure.headers })
}

/**
 * Assigned, not only returned: Hono ignores a middleware's returned Response once an earlier one has
 * assigned c.res, and the earlier answer (a 200, say) would go out instead of the failure.
 */
function answer(c: Context, response: Response): Response {
  c.res = response
  return response
}

async function fail(c: Context, failure: HttpFailure, onError: PatAuthOptions['onError']): Promise<Response> {
  return answer(c, (await onError?.(failure, c)) ?? respond(failure))
}

/** Authenticates `Authorization: Bearer …` (a personal access token or a session token; a session cookie with `sessionCookie`) and sets `c.get('principal')`. */
export function patAuth(
  options: PatAuthOptions & { optional: true | boolean },
): MiddlewareHandler<OptionalKeywardEnv>
export function patAuth(keywardOrOptions?: Keyward | PatAuthOptions): MiddlewareHandler<KeywardEnv>
export function patAuth(
  keywardOrOptions?: Keyward | PatAuthOptions,
): MiddlewareHandler<KeywardEnv> | MiddlewareHandler<OptionalKeywardEnv> {
  const { rest: options, clientAddress } = takeClientAddress(keywardOrOptions, 'patAuth()')
  const guard = createGuard(options)
  const readers = readersFor(clientAddress)
  const onError = (keywardOrOptions as PatAuthOptions | undefined)?.onError
  const handler: MiddlewareHandler<OptionalKeywardEnv> = async function keywardPatAuth(c, next) {
    // On @hono/node-server every header line is in rawHeaders; elsewhere repeated lines arrive joined
    // with ", ", which the core also reads as several credentials.
    const incoming = (c.env as NodeEnv | undefined)?.incoming
    const authorization = incoming?.rawHeaders
      ? authorizationFromRawHeaders(incoming.rawHeaders)
      : c.req.header('authorization')
    const url = incoming?.url ?? c.req.url
    const answer = guard.authenticate(authorization, url, c, readers)
    // A cache hit answers synchronously: no extra microtask on the hot path.
    const result = answer instanceof Promise ? await answer : answer
    if (!result.ok) return fail(c, result.failure, onError)
    rememberRealm(c, guard.realm)
    if (result.principal) c.set('principal', result.principal)
    await next()
  }
  return handler
}

function scopeGuard(
  scopes: string[],
  mode: 'all' | 'any',
  name: 'requireScope' | 'requireAnyScope',
): MiddlewareHandler {
  const check = createScopeCheck(scopes, mode, name)
  return async function keywardRequireScope(c, next) {
    const failure = check(c.get('principal') as Principal | undefined, realmOf(c))
    if (failure) return answer(c, respond(failure))
    await next()
  }
}

/**
 * 403 unless the principal holds every scope (401 when there is no principal). With a registered
 * scope registry (see `Register` in @keyward/core) it takes only declared names.
 */
export function requireScope(...scopes: RequiredScope[]): MiddlewareHandler {
  return scopeGuard(scopes, 'all', 'requireScope')
}

/** 403 unless the principal holds at least one of the scopes. */
export function requireAnyScope(...scopes: RequiredScope[]): MiddlewareHandler {
  return scopeGuard(scopes, 'any', 'requireAnyScope')
}
export { type SecretScanningOptions, secretScanning } from './secret-scanning.js'
export { type TokenRoutesOptions, tokenRoutes } from './token-routes.js'
