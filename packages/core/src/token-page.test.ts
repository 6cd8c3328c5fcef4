import { describe, expect, it } from 'vitest'
import { isKeywardError } from './errors.js'
import { PAGE_CSP } from './token-page.js'
import { createTokenRoutes, type TokenRouteRequest } from './token-routes.js'

// The page is answered before any user or store is consulted: a stand-in instance is enough.
const keyward = { tokens: {}, scopes: [] } as never

function get(path: string, fullPath?: string, method = 'GET'): TokenRouteRequest {
  return {
    method,
    path,
    ...(fullPath === undefined ? {} : { fullPath }),
    query: '',
    header: () => null,
    host: '127.0.0.1',
    principal: null,
    request: null,
    readBody: async () => ({ kind: 'text', text: '' }),
  }
}

describe('the token settings page', () => {
  it('answers the page at / under a strict CSP, with links from the client’s own path', async () => {
    const routes = createTokenRoutes({ keyward })
    for (const fullPath of ['/settings', '/settings/']) {
      const answer = await routes.handle(get('/', fullPath))
      expect(answer?.status).toBe(200)
      expect(answer?.headers['Content-Type']).toBe('text/html; charset=utf-8')
      expect(answer?.headers['Content-Security-Policy']).toBe(PAGE_CSP)
      expect(answer?.headers['Cache-Control']).toBe('no-store')
      expect(answer?.body).toContain('<script type="module" src="/settings/assets/page.js"></script>')
    }
    expect(PAGE_CSP).toMatch(/^default-src 'self';/)
    expect(PAGE_CSP).not.toContain('unsafe-inline')
    // No inline script or style anywhere in the markup.
    const html = (await routes.handle(get('/', '/settings')))?.body ?? ''
    expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son\w+=/i)
  })

  it('never builds a link to another host from a hostile path; without the path, links are relative', async () => {
    const routes = createTokenRoutes({ keyward })
    for (const fullPath of ['//evil.example/', '/a"onload="x/', '/a/<b>/']) {
      const body = (await routes.handle(get('/', fullPath)))?.body ?? ''
      expect(body).toContain('src="assets/page.js"')
      expect(body).not.toContain('evil.example')
    }
    expect((await routes.handle(get('/')))?.body).toContain('href="assets/page.css"')
  })

  it('serves its two assets with their types; other paths and methods pass on', async () => {
    const routes = createTokenRoutes({ keyward })
    const css = await routes.handle(get('/assets/page.css'))
    expect([css?.status, css?.headers['Content-Type']]).toEqual([200, 'text/css; charset=utf-8'])
    expect(css?.body).toContain('--kw-accent')
    const js = await routes.handle(get('/assets/page.js'))
    expect([js?.status, js?.headers['Content-Type']]).toEqual([200, 'text/javascript; charset=utf-8'])
    expect(js?.headers['X-Content-Type-Options']).toBe('nosniff')
    for (const path of ['/assets/constructor', '/assets/', '/assets/page.css/x', '/other']) {
      expect(await routes.handle(get(path))).toBeNull()
    }
    expect(await routes.handle(get('/', '/settings', 'POST'))).toBeNull()
  })

  it('page: false leaves it out; { title, stylesheet } are escaped into the page; bad options throw', async () => {
    const off = createTokenRoutes({ keyward, page: false })
    expect(await off.handle(get('/', '/settings'))).toBeNull()
    expect(await off.handle(get('/assets/page.js'))).toBeNull()
    const themed = createTokenRoutes({
      keyward,
      page: { title: 'API <keys>', stylesheet: '/theme.css?a=1&b=2' },
    })
    const body = (await themed.handle(get('/', '/s')))?.body ?? ''
    expect(body).toContain('<title>API &lt;keys&gt;</title>')
    expect(body).toContain('<link rel="stylesheet" href="/theme.css?a=1&amp;b=2">')
    for (const page of [{ colour: 'red' }, { title: '' }, { stylesheet: 3 }, 'yes']) {
      let thrown: unknown
      try {
        createTokenRoutes({ keyward, page: page as never })
      } catch (error) {
        thrown = error
      }
      expect(isKeywardError(thrown) && thrown.code).toBe('invalid_option')
    }
  })
})
