import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import {
  grantFor,
  loginUser,
  overLoopback,
  type RouteTestOptions,
  tokenRoutesConformance,
} from '@keyward/test-kit'
import Koa, { type Context } from 'koa'
import { describe, expect, it } from 'vitest'
import { patAuth } from './index.js'
import { tokenRoutes } from './token-routes.js'

const userOf = (ctx: Context) => ctx.state.user as string | undefined

function app(kw: Keyward, options: RouteTestOptions): Koa {
  const app = new Koa()
  // The app's own cookie login, as a Koa session middleware would set ctx.state.user.
  app.use((ctx, next) => {
    ctx.state.user = loginUser(ctx.get('cookie'))
    return next()
  })
  const settings = patAuth({
    keyward: kw,
    realm: 'test',
    optional: true,
    appSession: (ctx) => grantFor(userOf(ctx)),
  })
  app.use((ctx, next) => (ctx.path.startsWith('/settings/') ? settings(ctx, next) : next()))
  app.use(tokenRoutes({ keyward: kw, ...options, prefix: '/settings' }))
  const user = (ctx: Context) => {
    const name = userOf(ctx)
    return name ? { userId: name } : null
  }
  app.use(tokenRoutes({ keyward: kw, ...options, prefix: '/own-login', user }))
  return app
}

await tokenRoutesConformance({
  name: 'koa',
  app(kw, options) {
    const handler = app(kw, options).callback()
    const listen = () =>
      new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
        const server = createServer(handler).listen(0, '127.0.0.1', () =>
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        )
      })
    return overLoopback(listen)
  },
})

describe('koa tokenRoutes options', () => {
  it('validates prefix when called', () => {
    for (const prefix of ['settings', '/settings/', '/a?b']) {
      expect(() => tokenRoutes({ prefix } as never)).toThrow(/`prefix` must be a path/)
    }
    expect(tokenRoutes({ prefix: '' }).name).toBe('keywardTokenRoutes')
  })
})
