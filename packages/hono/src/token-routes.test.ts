import { serve } from '@hono/node-server'
import type { Keyward } from '@keyward/core'
import {
  grantFor,
  loginUser,
  overLoopback,
  type RouteTestOptions,
  tokenRoutesConformance,
} from '@keyward/test-kit'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it } from 'vitest'
import { patAuth } from './index.js'
import { tokenRoutes } from './token-routes.js'

function app(kw: Keyward, options: RouteTestOptions): Hono {
  const app = new Hono()
  // The app's own cookie login, as a Hono session middleware would set c.get('user').
  const login: MiddlewareHandler = async (c, next) => {
    c.set('user' as never, loginUser(c.req.header('cookie')) as never)
    await next()
  }
  const userOf = (c: Parameters<MiddlewareHandler>[0]) => c.get('user' as never) as string | undefined
  app.use(
    '/settings/*',
    login,
    patAuth({ keyward: kw, realm: 'test', optional: true, appSession: (c) => grantFor(userOf(c)) }),
  )
  app.route('/settings', tokenRoutes({ keyward: kw, ...options }))
  app.use('/own-login/*', login)
  app.route(
    '/own-login',
    tokenRoutes({
      keyward: kw,
      ...options,
      user: (c) => (userOf(c) ? { userId: userOf(c) as string } : null),
    }),
  )
  return app
}

await tokenRoutesConformance({
  name: 'hono',
  app(kw, options) {
    const hono = app(kw, options)
    const listen = () =>
      new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
        const server = serve({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
          resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
        )
      })
    // In process by app.request; over loopback HTTP when a case names the address it comes from.
    const loopback = overLoopback(listen)
    return {
      async request(path, headers = {}, options = {}) {
        if (options.from) return loopback.request(path, headers, options)
        const init = { headers, method: options.method ?? 'GET', body: options.body ?? null }
        const response = await hono.request(path, init)
        return { status: response.status, headers: response.headers, body: await response.text() }
      },
      listen,
      close: () => loopback.close?.() ?? Promise.resolve(),
    }
  },
})

describe('hono tokenRoutes over HTTP', () => {
  it('reads a body from @hono/node-server and refuses one over the limit', async () => {
    // The suite runs Hono through app.request; one exchange over a real socket as well.
    const kw = { tokens: {}, scopes: [] } as unknown as Keyward
    const hono = new Hono()
    hono.route('/', tokenRoutes({ keyward: kw, user: () => ({ userId: 'ada' }), maxBodyBytes: 10 }))
    const loopback = overLoopback(
      () =>
        new Promise((resolve) => {
          const server = serve({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
            resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
          )
        }),
    )
    const reply = await loopback.request(
      '/tokens',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      { method: 'POST', body: JSON.stringify({ name: 'longer than ten bytes' }) },
    )
    expect(reply.status).toBe(413)
    await loopback.close?.()
  })

  it('validates options when called', () => {
    expect(() => tokenRoutes({ patScope: 'has space' } as never)).toThrow(/not a valid scope/)
    expect(() => tokenRoutes({ usr: () => null } as never)).toThrow(/unknown option "usr"/)
    expect(() => tokenRoutes({ reauthenticate: true } as never)).toThrow(/must be a function/)
  })
})
