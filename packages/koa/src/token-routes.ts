import {
  assertMountPrefix,
  type TokenRoutesOptions as CoreTokenRoutesOptions,
  createTokenRoutes,
  type Keyward,
  pathBelow,
  readNodeBody,
} from '@keyward/core'
import type { Context, Middleware, Next } from 'koa'

/**
 * The hooks (`user`, `reauthenticate`, `grantableScopes`) are called with Koa's `ctx`. `prefix`:
 * where the routes live (`'/settings'`); leave it out under koa-mount or a router that strips it.
 */
export type TokenRoutesOptions = CoreTokenRoutesOptions<Context> & { prefix?: string }

function splitOptions(options?: Keyward | TokenRoutesOptions): {
  core: Keyward | CoreTokenRoutesOptions<Context> | undefined
  prefix: string
} {
  if (typeof options !== 'object' || options === null || !('prefix' in options)) {
    return { core: options, prefix: '' }
  }
  const { prefix = '', ...core } = options
  assertMountPrefix(prefix)
  return { core, prefix }
}

/**
 * The token-management routes as a Koa middleware, behind the app's login:
 * `app.use(tokenRoutes({ prefix: '/settings', user: (ctx) => … }))`, or behind
 * `patAuth({ appSession })`. Paths below the prefix: `GET|POST /tokens`,
 * `GET|PATCH|DELETE /tokens/:id`, `POST /tokens/:id/rotate`, `GET /scopes`, `GET /audit` (the
 * caller's audit entries), and the settings page
 * at `GET /` with `GET /assets/:name` (unless `page: false`); any other goes on.
 * A body koa-bodyparser in front already parsed is taken as it is.
 */
export function tokenRoutes(keywardOrOptions?: Keyward | TokenRoutesOptions): Middleware {
  const { core, prefix } = splitOptions(keywardOrOptions)
  const routes = createTokenRoutes<Context>(core)
  return async function keywardTokenRoutes(ctx: Context, next: Next) {
    const path = pathBelow(prefix, ctx.path)
    if (path === null) return next()
    const answer = await routes.handle({
      method: ctx.method,
      path,
      fullPath: ctx.path,
      query: ctx.querystring,
      header: (name) => ctx.get(name),
      host: ctx.host,
      principal: ctx.state.principal,
      // As patAuth() reads it: Koa's `ctx.ip` honours the app's `proxy` setting.
      client: ctx.ip,
      request: ctx,
      readBody: (maxBytes) =>
        readNodeBody(ctx.req, maxBytes, (ctx.request as unknown as { body?: unknown }).body),
    })
    if (answer === null) return next()
    ctx.status = answer.status
    ctx.set(answer.headers)
    ctx.body = answer.body
    ctx.type = answer.headers['Content-Type'] ?? 'application/json; charset=utf-8'
  }
}
