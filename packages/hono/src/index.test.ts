import { serve } from '@hono/node-server'
import type { Keyward } from '@keyward/core'
import { conformance } from '@keyward/test-kit'
import { Hono } from 'hono'
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
  app.get('/cookie', patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid' }), (c) =>
    c.json(c.get('principal')),
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
    return {
      async request(path, headers = {}) {
        const response = await hono.request(path, { headers })
        return { status: response.status, headers: response.headers, body: await response.text() }
      },
      listen: () =>
        new Promise((resolve) => {
          const server = serve({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
            resolve({ port: info.port, close: () => new Promise((done) => server.close(() => done())) }),
          )
        }),
    }
  },
})

describe('hono patAuth options', () => {
  it('validates options when called', () => {
    expect(() => patAuth({ realm: 'bad\u0001' } as never)).toThrow(/realm/)
    expect(() => patAuth({ optinal: true } as never)).toThrow(/unknown option "optinal"/)
    expect(() => requireScope()).toThrow(/at least one scope/)
    expect(patAuth({ keyward: { check: () => ({ ok: false }) } as never }).name).toBe('keywardPatAuth')
  })
})
