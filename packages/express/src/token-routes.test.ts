import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import {
  grantFor,
  loginUser,
  overLoopback,
  type RouteTestOptions,
  tokenRoutesConformance,
} from '@keyward/test-kit'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { patAuth } from './index.js'
import { tokenRoutes } from './token-routes.js'

type WithUser = express.Request & { user?: string | undefined }

function app(kw: Keyward, options: RouteTestOptions, parseJson: boolean): express.Express {
  const app = express()
  // The app's own cookie login, as passport would set req.user.
  app.use((req, _res, next) => {
    ;(req as WithUser).user = loginUser(req.headers.cookie)
    next()
  })
  // An app's own JSON parser in front (with a limit above the routes' own): its result is used.
  if (parseJson) app.use(express.json({ limit: '2mb' }))
  const appSession = (req: express.Request) => grantFor((req as WithUser).user)
  app.use(
    '/settings',
    patAuth({ keyward: kw, realm: 'test', optional: true, appSession }),
    tokenRoutes({ keyward: kw, ...options }),
  )
  const user = (req: express.Request) => {
    const name = (req as WithUser).user
    return name ? { userId: name } : null
  }
  app.use('/own-login', tokenRoutes({ keyward: kw, ...options, user }))
  return app
}

function harness(kw: Keyward, options: RouteTestOptions, parseJson = false) {
  const expressApp = app(kw, options, parseJson)
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
}

await tokenRoutesConformance({ name: 'express', app: (kw, options) => harness(kw, options) })

describe('express tokenRoutes behind express.json()', () => {
  it('takes the parsed body: a 1 MB name is then 400, not 413, and nothing is created', async () => {
    const created: unknown[] = []
    const kw = {
      check: () => ({ ok: false }),
      scopes: [],
      tokens: {
        create: async (input: unknown) => {
          created.push(input)
          throw new Error('not reached')
        },
      },
    } as unknown as Keyward
    const app = harness(kw, {}, true)
    const headers = { cookie: 'login=ada', 'content-type': 'application/json' }
    const reply = await app.request('/own-login/tokens', headers, {
      method: 'POST',
      body: JSON.stringify({ name: 'x'.repeat(1_000_000) }),
    })
    expect(reply.status).toBe(400)
    expect(JSON.parse(reply.body).error).toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/name/),
    })
    expect(created).toEqual([])
    await app.close?.()
  })
})
