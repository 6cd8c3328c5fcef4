import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import Koa from 'koa'
import { describe, expect, it } from 'vitest'
import { tokenRoutes } from './token-routes.js'

// The page is answered before any user or store is consulted: a stand-in instance is enough.
const keyward = { tokens: {}, scopes: [] } as unknown as Keyward

async function fetchFrom(app: Koa, paths: string[]): Promise<Response[]> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  try {
    return await Promise.all(paths.map((path) => fetch(`http://127.0.0.1:${port}${path}`)))
  } finally {
    await new Promise((done) => server.close(done))
  }
}

describe('koa tokenRoutes: the settings page', () => {
  it('serves the page at the prefix, with or without a final slash, and its assets with their types', async () => {
    const app = new Koa()
    app.use(tokenRoutes({ keyward, prefix: '/settings', user: () => ({ userId: 'ada' }) }))
    const [bare, slash, style] = await fetchFrom(app, [
      '/settings',
      '/settings/',
      '/settings/assets/page.css',
    ])
    for (const page of [bare, slash]) {
      expect(page?.status).toBe(200)
      expect(page?.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page?.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
      expect(await page?.text()).toContain('href="/settings/assets/page.css"')
    }
    expect(style?.headers.get('content-type')).toBe('text/css; charset=utf-8')
  })

  it('page: false passes the page on to the app', async () => {
    const app = new Koa()
    app.use(tokenRoutes({ keyward, prefix: '/settings', page: false }))
    app.use((ctx) => {
      ctx.body = 'the app’s own page'
    })
    const [page] = await fetchFrom(app, ['/settings'])
    expect(await page?.text()).toBe('the app’s own page')
  })
})
