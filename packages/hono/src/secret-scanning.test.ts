import { sign } from 'node:crypto'
import { githubKeyPair, SECRET_SCANNING_PATH, secretScanningConformance } from '@keyward/test-kit'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { secretScanning } from './secret-scanning.js'

await secretScanningConformance({
  name: 'hono',
  app(kw, options) {
    const hono = new Hono()
    hono.all(SECRET_SCANNING_PATH, secretScanning({ keyward: kw, ...options }))
    return {
      async request(path, headers = {}, init = {}) {
        const response = await hono.request(path, {
          headers,
          method: init.method ?? 'GET',
          body: init.body ?? null,
        })
        return { status: response.status, headers: response.headers, body: await response.text() }
      },
      listen: () => Promise.reject(new Error('not used')),
    }
  },
})

describe('hono secretScanning', () => {
  it('verifies a body a middleware read first, from Hono’s body cache', async () => {
    const { entry, privateKey } = githubKeyPair('k')
    const kw = { tokens: { identify: async () => null }, tokenPrefix: 'test' } as never
    const hono = new Hono()
    hono.use(SECRET_SCANNING_PATH, async (c, next) => {
      await c.req.text()
      await next()
    })
    hono.post(SECRET_SCANNING_PATH, secretScanning({ keyward: kw, publicKeys: [entry] }))
    const body = JSON.stringify([{ token: 'junk', type: 't' }])
    const signature = sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString(
      'base64',
    )
    const headers = { 'github-public-key-identifier': 'k', 'github-public-key-signature': signature }
    const response = await hono.request(SECRET_SCANNING_PATH, { method: 'POST', headers, body })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([expect.objectContaining({ label: 'false_positive' })])
    const tooLarge = secretScanning({ keyward: kw, publicKeys: [entry], maxBodyBytes: 8 })
    const small = new Hono()
    small.use(SECRET_SCANNING_PATH, async (c, next) => {
      await c.req.text()
      await next()
    })
    small.post(SECRET_SCANNING_PATH, tooLarge)
    expect((await small.request(SECRET_SCANNING_PATH, { method: 'POST', headers, body })).status).toBe(413)
  })

  it('a body only a JSON parse kept (as older Hono versions cached c.req.json()) is the app’s misconfiguration: 500, not a forged report', async () => {
    const { entry, privateKey } = githubKeyPair('k')
    const kw = { tokens: { identify: async () => null }, tokenPrefix: 'test' } as never
    const hono = new Hono()
    hono.use(SECRET_SCANNING_PATH, async (c, next) => {
      // What an older Hono's json() left: the stream read, only the parsed value in the cache.
      const parsed: unknown = JSON.parse(await c.req.raw.text())
      c.req.bodyCache = { json: Promise.resolve(parsed) } as never
      await next()
    })
    hono.post(SECRET_SCANNING_PATH, secretScanning({ keyward: kw, publicKeys: [entry] }))
    const errors: unknown[] = []
    hono.onError((error, c) => {
      errors.push(error)
      return c.text('misconfigured', 500)
    })
    // As GitHub may format it: a re-serialization of the parsed value would not be these bytes.
    const body = JSON.stringify([{ token: 'junk', type: 't' }], null, 2)
    const signature = sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString(
      'base64',
    )
    const headers = { 'github-public-key-identifier': 'k', 'github-public-key-signature': signature }
    const response = await hono.request(SECRET_SCANNING_PATH, { method: 'POST', headers, body })
    expect(response.status).toBe(500)
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'invalid_option',
        message: expect.stringMatching(/body parser in front already parsed the report/),
      }),
    ])
  })

  it('validates its options when called', () => {
    expect(() => secretScanning({} as never)).toThrow(/`publicKeys` is required/)
    const { entry } = githubKeyPair('k')
    expect(() => secretScanning({ publicKeys: [entry], maxTokens: -1 })).toThrow(/maxTokens must be/)
  })
})
