import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { tokenRoutes } from './token-routes.js'

// The page is answered before any user or store is consulted: a stand-in instance is enough.
const keyward = { tokens: {}, scopes: [] } as unknown as Keyward

async function fetchFrom(app: express.Express, paths: string[]): Promise<Response[]> {
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  try {
    return await Promise.all(paths.map((path) => fetch(`http://127.0.0.1:${port}${path}`)))
  } finally {
    await new Promise((done) => server.close(done))
  }
}

describe('express tokenRoutes: the settings page', () => {
  it('serves the page at the mount, with or without a final slash, and its assets below it', async () => {
    const app = express()
    app.use('/settings', tokenRoutes({ keyward, user: () => ({ userId: 'ada' }) }))
    const [bare, slash, script] = await fetchFrom(app, [
      '/settings',
      '/settings/',
      '/settings/assets/page.js',
    ])
    for (const page of [bare, slash]) {
      expect(page?.status).toBe(200)
      expect(page?.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
      expect(await page?.text()).toContain('src="/settings/assets/page.js"')
    }
    expect(script?.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  })

  it('page: false passes the page on to the app', async () => {
    const app = express()
    app.use('/settings', tokenRoutes({ keyward, page: false }))
    app.get('/settings', (_req, res) => {
      res.send('the app’s own page')
    })
    const [page] = await fetchFrom(app, ['/settings'])
    expect(await page?.text()).toBe('the app’s own page')
  })
})
