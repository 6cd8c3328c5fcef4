import {
  assertRequiredScopes,
  authorizationFromRawHeaders,
  createGuard,
  type GuardOptions,
  type HttpFailure,
  type Keyward,
  type Principal,
  realmOf,
  rememberRealm,
  scopeFailure,
} from '@keyward/core'
import type { Context, MiddlewareHandler } from 'hono'

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

export type PatAuthOptions = GuardOptions & {
  /** Answer authentication failures yourself; return nothing to send Keyward's own answer. */
  onError?: (failure: HttpFailure, c: Context) => Response | undefined | Promise<Response | undefined>
}

const cookieOf = (c: Context) => c.req.header('cookie')

function respond(failure: HttpFailure): Response {
  return new Response(failure.body, { status: failure.status, headers: failure.headers })
}

async function fail(c: Context, failure: HttpFailure, onError: PatAuthOptions['onError']): Promise<Response> {
  const response = (await onError?.(failure, c)) ?? respond(failure)
  // Assigned, not only returned: Hono ignores a middleware's returned Response once an earlier one
  // has assigned c.res, and the earlier answer (a 200, say) would go out instead of the failure.
  c.res = response
  return response
}

/** Authenticates `Authorization: Bearer …` (a PAT) and sets `c.get('principal')`. */
export function patAuth(
  options: PatAuthOptions & { optional: true | boolean },
): MiddlewareHandler<OptionalKeywardEnv>
export function patAuth(keywardOrOptions?: Keyward | PatAuthOptions): MiddlewareHandler<KeywardEnv>
export function patAuth(
  keywardOrOptions?: Keyward | PatAuthOptions,
): MiddlewareHandler<KeywardEnv> | MiddlewareHandler<OptionalKeywardEnv> {
  const guard = createGuard(keywardOrOptions)
  const onError = (keywardOrOptions as PatAuthOptions | undefined)?.onError
  const handler: MiddlewareHandler<OptionalKeywardEnv> = async function keywardPatAuth(c, next) {
    // On @hono/node-server every header line is in rawHeaders; elsewhere repeated lines arrive joined
    // with ", ", which the core also reads as several credentials.
    const incoming = (c.env as { incoming?: { rawHeaders?: string[]; url?: string } } | undefined)?.incoming
    const authorization = incoming?.rawHeaders
      ? authorizationFromRawHeaders(incoming.rawHeaders)
      : c.req.header('authorization')
    const url = incoming?.url ?? c.req.url
    const answer = guard.authenticate(authorization, url, c, cookieOf)
    // A cache hit answers synchronously: no extra microtask on the hot path.
    const result = answer instanceof Promise ? await answer : answer
    if (!result.ok) return fail(c, result.failure, onError)
    rememberRealm(c, guard.realm)
    if (result.principal) c.set('principal', result.principal)
    await next()
  }
  return handler
}

function scopeGuard(scopes: string[], mode: 'all' | 'any', name: string): MiddlewareHandler {
  assertRequiredScopes(scopes, name)
  return async function keywardRequireScope(c, next) {
    const failure = scopeFailure(c.get('principal') as Principal | undefined, scopes, mode, realmOf(c))
    if (failure) return respond(failure)
    await next()
  }
}

/** 403 unless the principal holds every scope (401 when there is no principal). */
export function requireScope(...scopes: string[]): MiddlewareHandler {
  return scopeGuard(scopes, 'all', 'requireScope')
}

/** 403 unless the principal holds at least one of the scopes. */
export function requireAnyScope(...scopes: string[]): MiddlewareHandler {
  return scopeGuard(scopes, 'any', 'requireAnyScope')
}
