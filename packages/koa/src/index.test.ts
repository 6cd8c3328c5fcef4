import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import { conformance, overLoopback } from '@keyward/test-kit'
import Koa, { type Middleware } from 'koa'
import { patAuth, requireAnyScope, requireScope } from './index.js'

function route(path: string, ...handlers: Middleware[]): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== path) return next()
    const run = async (i: number): Promise<void> => {
      const handler = handlers[i]
      if (handler) await handler(ctx, () => run(i + 1))
    }
    await run(0)
  }
}

function app(kw: Keyward) {
  const app = new Koa()
  app.use(
    route('/bare-scope', requireScope('repo:read'), (ctx) => {
      ctx.body = 'no'
    }),
  )
  app.use(
    route('/optional', patAuth({ keyward: kw, optional: true, realm: 'test' }), (ctx) => {
      ctx.body = { principal: ctx.state.principal ?? null }
    }),
  )
  const custom = patAuth({
    keyward: kw,
    onError: (failure, ctx) => {
      ctx.status = 418
      ctx.body = `custom:${failure.error.code}`
    },
  })
  app.use(
    route('/custom', custom, (ctx) => {
      ctx.body = 'ok'
    }),
  )
  app.use(
    route('/pat-only', patAuth({ keyward: kw, realm: 'test', accept: 'pat' }), (ctx) => {
      ctx.body = ctx.state.principal
    }),
  )
  app.use(
    route('/cookie', patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid' }), (ctx) => {
      ctx.body = ctx.state.principal
    }),
  )
  app.use(patAuth({ keyward: kw, realm: 'test' }))
  app.use(
    route('/me', (ctx) => {
      ctx.body = ctx.state.principal
    }),
  )
  app.use(
    route('/repos', requireScope('repo:read'), (ctx) => {
      ctx.body = ctx.state.principal
    }),
  )
  app.use(
    route('/write', requireScope('repo:read', 'repo:write'), (ctx) => {
      ctx.body = 'ok'
    }),
  )
  app.use(
    route('/any', requireAnyScope('admin', 'repo:write'), (ctx) => {
      ctx.body = 'ok'
    }),
  )
  return app
}

await conformance({
  name: 'koa',
  app(kw) {
    const handler = app(kw).callback()
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
