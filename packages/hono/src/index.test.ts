import { serve } from '@hono/node-server'
import { argon2Hasher, createKeyward, type Keyward } from '@keyward/core'
import {
  backends,
  badGrantFor,
  conformance,
  grantFor,
  loginUser,
  overLoopback,
  wrongSecret,
} from '@keyward/test-kit'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { describe, expect, it } from 'vitest'
import { type KeywardEnv, patAuth, requireAnyScope, requireScope } from './index.js'

function app(kw: Keyward) {
  const app = new Hono<KeywardEnv>()
  app.get('/bare-scope', requireScope('repo:read'), (c) => c.text('no'))
  app.get('/optional', patAuth({ keyward: kw, optional: true, realm: 'test' }), (c) =>
    c.json({ principal: c.get('principal') ?? null }),
  )
  app.get(
    '/custom',
    patAuth({ keyward: kw, onError: (f, c) => c.text(`custom:${f.error.code}`, 418) }),
    (c) => c.text('ok'),
  )
  app.get('/pat-only', patAuth({ keyward: kw, realm: 'test', accept: 'pat' }), (c) =>
    c.json(c.get('principal')),
  )
  app.on(['GET', 'POST'], '/cookie', patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid' }), (c) =>
    c.json(c.get('principal')),
  )
  app.on(
    ['GET', 'POST'],
    '/optional-cookie',
    patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid', optional: true }),
    (c) => c.json({ principal: c.get('principal') ?? null }),
  )
  // The app's own cookie login, as a Hono session middleware would set c.get('user').
  const login: MiddlewareHandler = async (c, next) => {
    c.set('user' as never, loginUser(c.req.header('cookie')) as never)
    await next()
  }
  const userOf = (c: Context) => c.get('user' as never) as string | undefined
  const appSession = patAuth({ keyward: kw, realm: 'test', appSession: (c) => grantFor(userOf(c)) })
  app.on(['GET', 'POST'], '/app-session', login, appSession, requireScope('repo:read'), (c) =>
    c.json(c.get('principal')),
  )
  app.get('/app-session-write', login, appSession, requireScope('repo:write'), (c) => c.text('ok'))
  app.on(
    ['GET', 'POST'],
    '/app-session-optional',
    login,
    patAuth({ keyward: kw, realm: 'test', optional: true, appSession: (c) => grantFor(userOf(c)) }),
    (c) => c.json({ principal: c.get('principal') ?? null }),
  )
  app.get(
    '/app-session-bad',
    login,
    patAuth({ keyward: kw, realm: 'test', appSession: (c) => badGrantFor(userOf(c)) }),
    (c) => c.text('ok'),
  )
  app.get(
    '/upstream-body',
    async (c, next) => {
      c.res = c.text('upstream')
      await next()
    },
    patAuth({ keyward: kw, realm: 'test' }),
    (c) => c.json(c.get('principal')),
  )
  app.get(
    '/upstream-scope',
    async (c, next) => {
      c.res = c.text('upstream')
      await next()
    },
    patAuth({ keyward: kw, realm: 'test' }),
    requireScope('repo:read'),
    (c) => c.json(c.get('principal')),
  )
  app.use('*', patAuth({ keyward: kw, realm: 'test' }))
  app.get('/me', (c) => c.json(c.get('principal')))
  app.get('/repos', requireScope('repo:read'), (c) => c.json(c.get('principal')))
  app.get('/write', requireScope('repo:read', 'repo:write'), (c) => c.text('ok'))
  app.get('/any', requireAnyScope('admin', 'repo:write'), (c) => c.text('ok'))
  return app
}

await conformance({
  name: 'hono',
  app(kw) {
    const hono = app(kw)
    const listen = () =>
      new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
        const server = serve({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
          resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
        )
      })
    // Requests from a given address go through @hono/node-server, whose socket tells the address.
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

describe('hono patAuth options', () => {
  it('validates options when called', () => {
    expect(() => patAuth({ realm: 'bad\u0001' } as never)).toThrow(/realm/)
    expect(() => patAuth({ optinal: true } as never)).toThrow(/unknown option "optinal"/)
    expect(() => requireScope()).toThrow(/at least one scope/)
    expect(() => patAuth({ clientAddress: 'x-forwarded-for' } as never)).toThrow(
      /`clientAddress` must be a function/,
    )
    expect(patAuth({ keyward: { check: () => ({ ok: false }) } as never }).name).toBe('keywardPatAuth')
  })
})

describe('hono clientAddress', () => {
  it('keys the wrong-secret throttle on the address it returns', async () => {
    const [backend] = await backends()
    const { store } = await (backend as NonNullable<typeof backend>).create()
    const kw = createKeyward({
      store,
      tokenPrefix: 'test',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      protection: { failuresPerToken: 1 },
      logger: { warn: () => {} },
    })
    const seen: string[] = []
    const hono = new Hono<KeywardEnv>()
    hono.use(
      patAuth({
        keyward: kw,
        clientAddress: (c) => {
          const address = c.req.header('x-test-client')
          seen.push(address ?? '')
          return address
        },
      }),
    )
    hono.get('/', (c) => c.text(c.get('principal').userId))
    const { token } = await kw.tokens.create({ userId: 'owner', name: 'n' })
    const send = (credential: string, client: string) =>
      hono.request('/', { headers: { authorization: `Bearer ${credential}`, 'x-test-client': client } })
    for (let n = 0; n < 3; n++) await send(wrongSecret(token, n), '192.0.2.1')
    expect((await send(wrongSecret(token, 9), '192.0.2.1')).status).toBe(503)
    expect(await (await send(token, '192.0.2.2')).text()).toBe('owner')
    // A cache hit does not ask for the address.
    const asked = seen.length
    expect((await send(token, '192.0.2.2')).status).toBe(200)
    expect(seen.length).toBe(asked)
    await kw.close()
  })
})
