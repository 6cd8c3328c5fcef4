import {
  type TokenRoutesOptions as CoreTokenRoutesOptions,
  createTokenRoutes,
  type Keyward,
  type Principal,
  readWebBody,
  type TokenRouteResponse,
} from '@keyward/core'
import { type Context, Hono, type Next } from 'hono'
import { type ClientAddress, socketAddress, takeClientAddress } from './client-address.js'

/**
 * The hooks (`user`, `reauthenticate`, `grantableScopes`) are called with Hono's context `c`.
 * `clientAddress`: the client's address for the audit log, as `patAuth({ clientAddress })` (default:
 * the socket's address on @hono/node-server, nothing elsewhere).
 */
export type TokenRoutesOptions = CoreTokenRoutesOptions<Context> & { clientAddress?: ClientAddress }

function respond(answer: TokenRouteResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}

/**
 * The token-management routes as a Hono app to mount behind the app's login:
 * `app.route('/settings', tokenRoutes({ user: (c) => … }))`, or behind `patAuth({ appSession })`.
 * Paths: `GET|POST /tokens`, `GET|PATCH|DELETE /tokens/:id`, `POST /tokens/:id/rotate`, `GET /scopes`,
 * `GET /audit` (the caller's audit entries),
 * and the settings page at `GET /` with `GET /assets/:name` (unless `page: false`).
 */
export function tokenRoutes(keywardOrOptions?: Keyward | TokenRoutesOptions): Hono {
  const taken = takeClientAddress(keywardOrOptions, 'tokenRoutes()')
  const clientAddress = taken.clientAddress ?? socketAddress
  const routes = createTokenRoutes<Context>(taken.rest)
  const serve = async (c: Context, next: Next, path: string): Promise<Response> => {
    const url = new URL(c.req.url)
    const answer = await routes.handle({
      method: c.req.method,
      path,
      fullPath: c.req.path,
      query: url.search,
      header: (name) => c.req.header(name),
      host: c.req.header('host') ?? url.host,
      principal: c.get('principal') as Principal | undefined,
      client: clientAddress(c),
      request: c,
      // A body an earlier middleware read (a validator) is in Hono's cache, not in the stream.
      readBody: async (maxBytes) =>
        c.req.raw.bodyUsed ? { kind: 'text', text: await c.req.text() } : readWebBody(c.req.raw, maxBytes),
    })
    // Null for a path below that is not one of the routes (an unknown asset, the page turned off):
    // the app's own handlers of that path answer it.
    if (answer === null) {
      await next()
      return c.res
    }
    c.res = respond(answer)
    return c.res
  }
  const app = new Hono()
  app.all('/tokens', (c, next) => serve(c, next, '/tokens'))
  // Hono decodes params: an id holding an encoded '/' must not become a path of its own.
  const id = (c: Context) => encodeURIComponent(c.req.param('id') ?? '')
  app.all('/tokens/:id', (c, next) => serve(c, next, `/tokens/${id(c)}`))
  app.all('/tokens/:id/rotate', (c, next) => serve(c, next, `/tokens/${id(c)}/rotate`))
  app.all('/scopes', (c, next) => serve(c, next, '/scopes'))
  app.all('/audit', (c, next) => serve(c, next, '/audit'))
  app.get('/', (c, next) => serve(c, next, '/'))
  // Hono's strict routing tells `/settings/` from `/settings`: the page answers at both.
  app.get('/*', (c, next) =>
    c.req.path === `${c.req.routePath.slice(0, -1)}` ? serve(c, next, '/') : next(),
  )
  app.get('/assets/:name', (c, next) => serve(c, next, `/assets/${c.req.param('name')}`))
  return app
}
