import {
  authorizationFromRawHeaders,
  createGuard,
  createScopeCheck,
  type GuardOptions,
  type GuardResult,
  type HttpFailure,
  type Keyward,
  type Principal,
  type RequestReaders,
  type RequiredScope,
  realmOf,
  rememberRealm,
} from '@keyward/core'
import type { Context, Middleware, Next } from 'koa'

export type { Principal } from '@keyward/core'

declare module 'koa' {
  interface DefaultState {
    /** Set by `patAuth()`; absent only behind `patAuth({ optional: true })` without credentials. */
    principal?: Principal
  }
}

/** `appSession` is called with Koa's `ctx` (`ctx.session`, `ctx.state.user`). */
export type PatAuthOptions = GuardOptions<Context> & {
  /**
   * Answer authentication failures yourself: assign `ctx.body` or `ctx.status` during the call (a
   * value other than the one it held before). Change neither to have Keyward's own answer sent, which
   * replaces whatever an earlier middleware had put in the response.
   */
  onError?: (failure: HttpFailure, ctx: Context) => void | Promise<void>
}

const readers: RequestReaders<Context> = {
  cookie: (ctx) => ctx.get('cookie'),
  // ctx.ip honours `app.proxy` (X-Forwarded-For from trusted proxies only).
  client: (ctx) => ctx.ip,
  method: (ctx) => ctx.method,
  header: (ctx, name) => ctx.get(name),
  // ctx.host honours X-Forwarded-Host under `app.proxy`.
  host: (ctx) => ctx.host,
}

function respond(ctx: Context, failure: HttpFailure): void {
  ctx.status = failure.status
  ctx.set(failure.headers)
  ctx.body = failure.body
  ctx.type = 'application/json; charset=utf-8'
}

/** Authenticates `Authorization: Bearer …` (a personal access token or a session token; a session cookie with `sessionCookie`) and sets `ctx.state.principal`. */
export function patAuth(keywardOrOptions?: Keyward | PatAuthOptions): Middleware {
  const guard = createGuard(keywardOrOptions)
  const onError = (keywardOrOptions as PatAuthOptions | undefined)?.onError
  const refuse = async (ctx: Context, failure: HttpFailure) => {
    if (onError !== undefined) {
      // What an earlier middleware left in the response is no answer from onError: only a change is.
      const { body, status } = ctx
      await onError(failure, ctx)
      if (ctx.body !== body || ctx.status !== status) return
    }
    respond(ctx, failure)
  }
  const settle = (ctx: Context, next: Next, result: GuardResult): Promise<unknown> => {
    if (!result.ok) return refuse(ctx, result.failure)
    rememberRealm(ctx, guard.realm)
    if (result.principal) ctx.state.principal = result.principal
    return next()
  }
  // Not an async function: a cache hit hands Koa next()'s own promise, with no extra await between.
  return function keywardPatAuth(ctx: Context, next: Next) {
    // rawHeaders, because req.headers keeps only the first of two Authorization lines.
    const authorization = authorizationFromRawHeaders(ctx.req.rawHeaders)
    const answer = guard.authenticate(authorization, ctx.url, ctx, readers)
    return answer instanceof Promise
      ? answer.then((result) => settle(ctx, next, result))
      : settle(ctx, next, answer)
  }
}

function scopeGuard(
  scopes: string[],
  mode: 'all' | 'any',
  name: 'requireScope' | 'requireAnyScope',
): Middleware {
  const check = createScopeCheck(scopes, mode, name)
  return async function keywardRequireScope(ctx: Context, next: Next) {
    const failure = check(ctx.state.principal, realmOf(ctx))
    if (failure) respond(ctx, failure)
    else await next()
  }
}

/**
 * 403 unless the principal holds every scope (401 when there is no principal). With a registered
 * scope registry (see `Register` in @keyward/core) it takes only declared names.
 */
export function requireScope(...scopes: RequiredScope[]): Middleware {
  return scopeGuard(scopes, 'all', 'requireScope')
}

/** 403 unless the principal holds at least one of the scopes. */
export function requireAnyScope(...scopes: RequiredScope[]): Middleware {
  return scopeGuard(scopes, 'any', 'requireAnyScope')
}
export { type SecretScanningOptions, secretScanning } from './secret-scanning.js'
export { type TokenRoutesOptions, tokenRoutes } from './token-routes.js'
