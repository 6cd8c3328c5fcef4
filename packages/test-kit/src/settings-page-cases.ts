import type { Keyward, TokenRoutesOptions } from '@keyward/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { RequestingApp } from './harness.js'

export type SettingsPageRouteOptions = Omit<TokenRoutesOptions<unknown>, 'keyward'>

/**
 * What a framework must provide for the settings-page suite: an app with tokenRoutes({ keyward,
 * ...options }) mounted at /settings, then the app's own GET /settings answering the text
 * `the app’s own page` (reached only when the routes pass the request on).
 */
export type SettingsPageHarness = {
  name: string
  app(keyward: Keyward, options: SettingsPageRouteOptions): RequestingApp
}

// The page is answered before any user or store is consulted: a stand-in instance is enough.
const keyward = { tokens: {}, scopes: [] } as unknown as Keyward

/** The settings page tokenRoutes() serves, for one framework. */
export function settingsPageConformance(harness: SettingsPageHarness): void {
  describe(`${harness.name} tokenRoutes: the settings page`, () => {
    const apps: RequestingApp[] = []
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close?.()
    })

    function requestAll(options: SettingsPageRouteOptions, paths: string[]) {
      const app = harness.app(keyward, options)
      apps.push(app)
      return Promise.all(paths.map((path) => app.request(path)))
    }

    it('serves the page at the mount, with or without a final slash, and its assets below it with their types', async () => {
      const [bare, slash, script, style] = await requestAll({ user: () => ({ userId: 'ada' }) }, [
        '/settings',
        '/settings/',
        '/settings/assets/page.js',
        '/settings/assets/page.css',
      ])
      for (const page of [bare, slash]) {
        expect(page?.status).toBe(200)
        expect(page?.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(page?.headers.get('content-security-policy')).toMatch(/^default-src 'self'/)
        expect(page?.body).toContain('src="/settings/assets/page.js"')
        expect(page?.body).toContain('href="/settings/assets/page.css"')
      }
      expect(script?.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect(style?.headers.get('content-type')).toBe('text/css; charset=utf-8')
    })

    it('page: false passes the page on to the app', async () => {
      const [page] = await requestAll({ page: false }, ['/settings'])
      expect(page?.body).toBe('the app’s own page')
    })
  })
}
