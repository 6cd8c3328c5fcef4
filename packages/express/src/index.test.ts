import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { authError, type Keyward } from '@keyward/core'
import { badGrantFor, conformance, grantFor, loginUser, overLoopback } from '@keyward/test-kit'
import express from 'express'
import { describe, expect, it, vi } from 'vitest'
import { patAuth, requireAnyScope, requireScope } from './index.js'

// Whichever of Express 5 and 4 the adapter under test does not import: apps built with it are the
// case of two copies in one process. (The "express 4" project resolves `express` itself to Express 4.)
const load = createRequire(import.meta.url)
const otherExpress = [load('express4'), load('express')].find(
  (copy: typeof express) => copy.request !== express.request,
) as typeof express

function app(kw: Keyward, createApp: typeof express) {
  const app = createApp()
  app.get('/bare-scope', requireScope('repo:read'), (_req, res) => {
    res.send('no')
  })
  app.get('/optional', patAuth({ keyward: kw, optional: true, realm: 'test' }), (req, res) => {
    res.json({ principal: req.principal ?? null })
  })
  const custom = patAuth({
    keyward: kw,
    onError: (failure, _req, res) => {
      res.status(418).send(`custom:${failure.error.code}`)
    },
  })
  app.get('/custom', custom, (_req, res) => {
    res.send('ok')
  })
  app.get('/pat-only', patAuth({ keyward: kw, realm: 'test', accept: 'pat' }), (req, res) => {
    res.json(req.principal)
  })
  const cookie = patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid' })
  app.get('/cookie', cookie, (req, res) => {
    res.json(req.principal)
  })
  app.post('/cookie', cookie, (req, res) => {
    res.json(req.principal)
  })
  const optionalCookie = patAuth({ keyward: kw, realm: 'test', sessionCookie: 'sid', optional: true })
  app.get('/optional-cookie', optionalCookie, (req, res) => {
    res.json({ principal: req.principal ?? null })
  })
  app.post('/optional-cookie', optionalCookie, (req, res) => {
    res.json({ principal: req.principal ?? null })
  })
  // The app's own cookie login, as passport would set req.user.
  const login: express.RequestHandler = (req, _res, next) => {
    ;(req as { user?: string | undefined }).user = loginUser(req.headers.cookie)
    next()
  }
  const userOf = (req: express.Request) => (req as { user?: string }).user
  const appSession = patAuth({ keyward: kw, realm: 'test', appSession: (req) => grantFor(userOf(req)) })
  app.all('/app-session', login, appSession, requireScope('repo:read'), (req, res) => {
    res.json(req.principal)
  })
  app.get('/app-session-write', login, appSession, requireScope('repo:write'), (_req, res) => {
    res.send('ok')
  })
  const appSessionOptional = patAuth({
    keyward: kw,
    realm: 'test',
    optional: true,
    appSession: (req) => grantFor(userOf(req)),
  })
  app.all('/app-session-optional', login, appSessionOptional, (req, res) => {
    res.json({ principal: req.principal ?? null })
  })
  const appSessionBad = patAuth({ keyward: kw, realm: 'test', appSession: (req) => badGrantFor(userOf(req)) })
  app.get('/app-session-bad', login, appSessionBad, (_req, res) => {
    res.send('ok')
  })
  app.get(
    '/upstream-scope',
    (_req, res, next) => {
      res.status(200).type('text/plain')
      next()
    },
    patAuth({ keyward: kw, realm: 'test' }),
    requireScope('repo:read'),
    (req, res) => {
      res.json(req.principal)
    },
  )
  app.get(
    '/upstream-body',
    (_req, res, next) => {
      res.status(200).type('text/plain')
      next()
    },
    patAuth({ keyward: kw, realm: 'test' }),
    (req, res) => {
      res.json(req.principal)
    },
  )
  app.use(patAuth({ keyward: kw, realm: 'test' }))
  app.get('/me', (req, res) => {
    res.json(req.principal)
  })
  app.get('/repos', requireScope('repo:read'), (req, res) => {
    res.json(req.principal)
  })
  app.get('/write', requireScope('repo:read', 'repo:write'), (_req, res) => {
    res.send('ok')
  })
  app.get('/any', requireAnyScope('admin', 'repo:write'), (_req, res) => {
    res.send('ok')
  })
  return app
}

/** Serves an app on a free loopback port for the length of `use`, which gets its base URL. */
async function served(app: express.Express, use: (base: string) => Promise<void>): Promise<void> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}

for (const [name, createApp] of [
  ['express', express],
  ['express, app on another copy', otherExpress],
] as const) {
  await conformance({
    name,
    app(kw) {
      const expressApp = app(kw, createApp)
      const listen = () =>
        new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
          const server = expressApp.listen(0, '127.0.0.1', () =>
            resolve({
              port: (server.address() as AddressInfo).port,
              close: () => new Promise((done) => server.close(() => done())),
            }),
          )
        })
      return overLoopback(listen)
    },
  })
}

describe('express onError', () => {
  it('sends an error thrown by onError to Express instead of crashing', async () => {
    const kw = { check: async () => ({ ok: false, error: authError('invalid_token') }) } as unknown as Keyward
    const app = express()
    app.use(
      patAuth({
        keyward: kw,
        onError: () => {
          throw new Error('boom')
        },
      }),
    )
    app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).send('handled')
    })
    await served(app, async (base) => {
      const reply = await fetch(`${base}/`)
      expect([reply.status, await reply.text()]).toEqual([500, 'handled'])
    })
  })
})

describe('express req.principal', () => {
  it('is per request and off the request object, and outlives a mounted app handing back to its parent', async () => {
    // A stand-in core: every bearer value is a principal whose userId is that value.
    const kw = {
      check: (authorization: string) => ({
        ok: true,
        principal: { kind: 'pat', userId: authorization.slice(7), scopes: [], tokenId: 't', expiresAt: null },
      }),
    } as unknown as Keyward
    const mounted = express()
    mounted.use(patAuth(kw))
    const parent = express()
    parent.use('/api', mounted)
    parent.get('/api/me', (req, res) => {
      res.json({
        own: Object.hasOwn(req, 'principal'),
        userId: req.principal?.userId ?? null,
        // In res.locals under a symbol, which Object.keys and JSON.stringify skip.
        locals: [
          Object.getOwnPropertySymbols(res.locals).length,
          Object.keys(res.locals),
          JSON.stringify(res.locals),
        ],
      })
    })
    parent.get('/open', (req, res) => {
      const before = req.principal ?? null
      req.principal = { kind: 'pat', userId: 'assigned', scopes: [], tokenId: 't', expiresAt: null }
      const assigned = req.principal.userId
      req.principal = undefined
      res.json({ before, userId: assigned, after: req.principal ?? null })
    })
    await served(parent, async (base) => {
      const replies = await Promise.all(
        ['alice', 'bob', 'carol'].map((user) =>
          fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${user}` } }).then((r) => r.json()),
        ),
      )
      expect(replies).toEqual([
        { own: false, userId: 'alice', locals: [1, [], '{}'] },
        { own: false, userId: 'bob', locals: [1, [], '{}'] },
        { own: false, userId: 'carol', locals: [1, [], '{}'] },
      ])
      expect(await (await fetch(`${base}/open`)).json()).toEqual({
        before: null,
        userId: 'assigned',
        after: null,
      })
    })
  })

  it('reads and assigns on a request that Express has not set up (no res.locals)', () => {
    patAuth({ check: () => ({ ok: false }) } as unknown as Keyward)
    const request = Object.create(express.request) as express.Request
    const principal = { kind: 'pat', userId: 'u', scopes: [], tokenId: 't', expiresAt: null } as const
    expect(request.principal).toBeUndefined()
    request.principal = principal
    expect(request.principal).toBe(principal)
    expect(Object.create(express.request).principal).toBeUndefined()
    request.principal = undefined
    expect(request.principal).toBeUndefined()
  })

  // A stand-in core taking any bearer value for a principal with scope repo:read, and two routes.
  const principal = { kind: 'pat', userId: 'u', scopes: ['repo:read'], tokenId: 't', expiresAt: null }
  const anyBearer = { check: () => ({ ok: true, principal }) } as unknown as Keyward
  function scopedRoutes(app: express.Express) {
    app.get('/me', requireScope('repo:read'), (req, res) => {
      res.json({ principal: req.principal ?? null })
    })
    app.get('/admin', requireScope('admin'), (_req, res) => {
      res.send('no')
    })
    return app
  }
  const headers = { authorization: 'Bearer x' }

  it('carries the principal on requests built by another copy of Express', async () => {
    // Another copy, as in a tree holding two versions: its requests never reach this package's express.request.
    const app = otherExpress()
    app.use(patAuth(anyBearer))
    app.use('/sub', scopedRoutes(otherExpress()))
    scopedRoutes(app)
    await served(app, async (base) => {
      expect(otherExpress.request === express.request).toBe(false)
      expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ principal })
      expect(await (await fetch(`${base}/sub/me`, { headers })).json()).toEqual({ principal })
      expect((await fetch(`${base}/admin`, { headers })).status).toBe(403)
    })
  })

  it('works with two copies of this package in one process, and keeps a custom realm', async () => {
    vi.resetModules()
    const second = (await import('./index.js')) as typeof import('./index.js')
    expect(second.patAuth === patAuth).toBe(false)
    const app = express()
    app.use(second.patAuth({ keyward: anyBearer, realm: 'notes' }))
    scopedRoutes(app)
    await served(app, async (base) => {
      expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ principal })
      const denied = await fetch(`${base}/admin`, { headers })
      expect([denied.status, denied.headers.get('www-authenticate')]).toEqual([
        403,
        'Bearer realm="notes", error="insufficient_scope", scope="admin"',
      ])
    })
  })

  it('is gone, failing closed, when the app replaces res.locals after patAuth', async () => {
    const app = express()
    app.use(patAuth(anyBearer))
    app.use((_req, res, next) => {
      res.locals = {}
      next()
    })
    app.get('/me', (req, res) => {
      res.json({ principal: req.principal ?? null })
    })
    app.get('/repos', requireScope('repo:read'), (_req, res) => {
      res.send('ok')
    })
    await served(app, async (base) => {
      expect(await (await fetch(`${base}/me`, { headers })).json()).toEqual({ principal: null })
      expect((await fetch(`${base}/repos`, { headers })).status).toBe(401)
    })
  })
})
