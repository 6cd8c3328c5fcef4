import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  githubKeyPair,
  overLoopback,
  SECRET_SCANNING_PATH,
  secretScanningConformance,
} from '@keyward/test-kit'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import { secretScanning } from './secret-scanning.js'

function serve(app: Koa) {
  const handler = app.callback()
  return overLoopback(
    () =>
      new Promise((resolve) => {
        const server = createServer(handler).listen(0, '127.0.0.1', () =>
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        )
      }),
  )
}

await secretScanningConformance({
  name: 'koa',
  app(kw, options) {
    const app = new Koa()
    app.use(secretScanning({ keyward: kw, ...options, path: SECRET_SCANNING_PATH }))
    app.use((ctx) => {
      ctx.status = 404
      ctx.body = 'app'
    })
    return serve(app)
  },
})

describe('koa secretScanning', () => {
  const { entry } = githubKeyPair('k')

  it('answers only at its path; other paths go on', async () => {
    const app = new Koa()
    app.use(secretScanning({ publicKeys: [entry], path: SECRET_SCANNING_PATH }))
    app.use((ctx) => {
      ctx.body = 'app'
    })
    const served = serve(app)
    expect((await served.request(`${SECRET_SCANNING_PATH}/x`)).body).toBe('app')
    expect((await served.request('/github')).body).toBe('app')
    expect((await served.request(SECRET_SCANNING_PATH)).status).toBe(405)
    await served.close?.()
  })

  it('behind a body parser that consumed the body: 500, and no token is read', async () => {
    let identified = 0
    const kw = { tokens: { identify: async () => identified++ } } as never
    const app = new Koa()
    app.silent = true
    // What koa-bodyparser does: read the stream, keep the parsed value.
    app.use(async (ctx, next) => {
      for await (const _ of ctx.req) {
      }
      ;(ctx.request as unknown as { body: unknown }).body = []
      await next()
    })
    app.use(secretScanning({ keyward: kw, publicKeys: [entry], path: SECRET_SCANNING_PATH }))
    const served = serve(app)
    const headers = { 'github-public-key-identifier': 'k', 'github-public-key-signature': 'MEUCIQ==' }
    const reply = await served.request(SECRET_SCANNING_PATH, headers, { method: 'POST', body: '[]' })
    expect(reply.status).toBe(500)
    expect(identified).toBe(0)
    await served.close?.()
  })

  it('validates path when called', () => {
    for (const path of ['github', '/github/', '']) {
      expect(() => secretScanning({ publicKeys: [entry], path })).toThrow(/`path` must be a path/)
    }
  })
})
