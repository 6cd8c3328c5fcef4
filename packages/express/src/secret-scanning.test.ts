import type { AddressInfo } from 'node:net'
import {
  githubKeyPair,
  overLoopback,
  SECRET_SCANNING_PATH,
  secretScanningConformance,
} from '@keyward/test-kit'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { secretScanning } from './secret-scanning.js'

type Parser = 'none' | 'raw' | 'json'

function harness(app: express.Express) {
  return overLoopback(
    () =>
      new Promise((resolve) => {
        const server = app.listen(0, '127.0.0.1', () =>
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        )
      }),
  )
}

function appWith(parser: Parser, handler: express.RequestHandler): express.Express {
  const app = express()
  if (parser === 'raw') app.use(express.raw({ type: '*/*', limit: '2mb' }))
  if (parser === 'json') app.use(express.json())
  app.all(SECRET_SCANNING_PATH, handler)
  // The app's own error handler: the message of what went wrong, as a 500.
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ message: error.message })
  })
  return app
}

for (const parser of ['none', 'raw'] as const) {
  await secretScanningConformance({
    name: `express (${parser === 'none' ? 'no body parser' : 'behind express.raw()'})`,
    app: (kw, options) => harness(appWith(parser, secretScanning({ keyward: kw, ...options }))),
  })
}

describe('express secretScanning behind express.json()', () => {
  it('cannot verify a parsed body: 500 with the reason, and no token is read', async () => {
    const { entry, privateKey } = githubKeyPair('k')
    let identified = 0
    const kw = { tokens: { identify: async () => identified++ } } as never
    const app = harness(appWith('json', secretScanning({ keyward: kw, publicKeys: [entry] })))
    const body = '[]'
    const { sign } = await import('node:crypto')
    const signature = sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString(
      'base64',
    )
    const reply = await app.request(
      SECRET_SCANNING_PATH,
      {
        'content-type': 'application/json',
        'github-public-key-identifier': 'k',
        'github-public-key-signature': signature,
      },
      { method: 'POST', body },
    )
    expect(reply.status).toBe(500)
    expect(JSON.parse(reply.body).message).toMatch(/Mount secretScanning\(\) before it/)
    expect(identified).toBe(0)
    await app.close?.()
  })
})
