import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { authError, type Keyward } from '@keyward/core'
import { badGrantFor, conformance, grantFor, loginUser, overLoopback } from '@keyward/test-kit'
import Koa, { type Middleware } from 'koa'
import { describe, expect, it } from 'vitest'
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
  app.use(
    route(
      '/optional-cookie',
      patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid', optional: true }),
      (ctx) => {
        ctx.body = { principal: ctx.state.principal ?? null }
      },
    ),
  )
  // The app's own cookie login, as a Koa session middleware would set ctx.state.user.
  const login: Middleware = async (ctx, next) => {
    ctx.state.user = loginUser(ctx.get('cookie'))
    await next()
  }
  const userOf = (ctx: Koa.Context) => ctx.state.user as string | undefined
  const appSession = patAuth({ keyward: kw, realm: 'test', appSession: async (ctx) => grantFor(userOf(ctx)) })
  app.use(
    route('/app-session', login, appSession, requireScope('repo:read'), (ctx) => {
      ctx.body = ctx.state.principal
    }),
  )
  app.use(
    route('/app-session-write', login, appSession, requireScope('repo:write'), (ctx) => {
      ctx.body = 'ok'
    }),
  )
  const appSessionOptional = patAuth({
    keyward: kw,
    realm: 'test',
    optional: true,
    appSession: (ctx) => grantFor(userOf(ctx)),
  })
  app.use(
    route('/app-session-optional', login, appSessionOptional, (ctx) => {
      ctx.body = { principal: ctx.state.principal ?? null }
    }),
  )
  app.use(
    route(
      '/app-session-bad',
      login,
      patAuth({ keyward: kw, realm: 'test', appSession: (ctx) => badGrantFor(userOf(ctx)) }),
      (ctx) => {
        ctx.body = 'ok'
      },
    ),
  )
  app.use(
    route(
      '/upstream-scope',
      async (ctx, next) => {
        ctx.body = 'upstream'
        await next()
      },
      patAuth({ keyward: kw, realm: 'test' }),
      requireScope('repo:read'),
      (ctx) => {
        ctx.body = ctx.state.principal
      },
    ),
  )
  app.use(
    route(
      '/upstream-body',
      async (ctx, next) => {
        ctx.body = 'upstream'
        await next()
      },
      patAuth({ keyward: kw, realm: 'test' }),
      (ctx) => {
        ctx.body = ctx.state.principal
      },
    ),
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

describe('koa onError', () => {
  const refusing = {
    check: async () => ({ ok: false, error: authError('invalid_token') }),
  } as unknown as Keyward
  async function serve(app: Koa, path = '/') {
    const server = createServer(app.callback()).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const reply = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`)
      return { status: reply.status, headers: reply.headers, body: await reply.text() }
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  }
  const upstream: Middleware = async (ctx, next) => {
    ctx.body = 'upstream'
    await next()
  }

  it('has answered when it changed the status or the body; Keyward answers otherwise', async () => {
    const statusOnly = new Koa().use(upstream).use(
      patAuth({
        keyward: refusing,
        onError: (_f, ctx) => {
          ctx.status = 418
        },
      }),
    )
    expect((await serve(statusOnly)).status).toBe(418)
    const bodyOnly = new Koa().use(
      patAuth({
        keyward: refusing,
        onError: (_f, ctx) => {
          ctx.body = { mine: true }
        },
      }),
    )
    expect(JSON.parse((await serve(bodyOnly)).body)).toEqual({ mine: true })
    // Only a header (or logging): not an answer, over an upstream body or not.
    for (const app of [new Koa().use(upstream), new Koa()]) {
      app.use(
        patAuth({
          keyward: refusing,
          onError: (_f, ctx) => {
            ctx.set('x-seen', '1')
          },
        }),
      )
      const reply = await serve(app)
      expect([reply.status, reply.headers.get('x-seen')]).toEqual([401, '1'])
      expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"')
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'invalid_token' })
    }
  })
})
