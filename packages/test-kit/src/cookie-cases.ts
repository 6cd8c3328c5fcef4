import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'
import type { RequestOptions } from './harness.js'

/** sessionCookie across sites: who may use the cookie, and what an optional route makes of it. */
export function cookieCases({ setup, expectFailure }: CaseContext): void {
  it('sessionCookie: an unsafe request from another site cannot use the cookie; same-origin, safe and non-browser ones can', async () => {
    const { app, kw } = await setup()
    const session = await kw.sessions.issue({ userId: 'from-cookie' })
    const cookie = { cookie: `sid=${session.token}` }
    const post = { method: 'POST', body: 'a=1' }
    for (const headers of [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site', origin: 'http://app.test', host: 'app.test' },
      { origin: 'https://evil.example', host: 'app.test' },
      { origin: 'null' },
    ]) {
      const reply = await app.request('/cookie', { ...cookie, ...headers }, post)
      expect(reply.status).toBe(403)
      expect(reply.headers.get('www-authenticate')).toBeNull()
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(JSON.parse(reply.body)).toEqual({
        error: 'cross_site_request',
        error_description: expect.any(String),
      })
      expect(reply.body + [...reply.headers].join()).not.toContain(session.token)
    }
    for (const headers of [
      { 'sec-fetch-site': 'same-origin' },
      { origin: 'http://app.test', host: 'app.test' },
      {},
    ]) {
      const reply = await app.request('/cookie', { ...cookie, ...headers }, post)
      expect([reply.status, JSON.parse(reply.body).userId]).toEqual([200, 'from-cookie'])
    }
    // A safe method, or a bearer header (a page cannot make a browser send one), is never concerned.
    expect((await app.request('/cookie', { ...cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(200)
    const viaHeader = await app.request(
      '/cookie',
      { ...bearer(session.token), 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      post,
    )
    expect(viaHeader.status).toBe(200)
  })

  it('sessionCookie on an optional route: a stale, expired or cross-site cookie is no one; a bad header is still refused', async () => {
    const { app, kw, clock } = await setup()
    const principalOf = async (headers: Record<string, string>, options?: RequestOptions) => {
      const reply = await app.request('/optional-cookie', headers, options)
      expect(reply.status).toBe(200)
      return JSON.parse(reply.body).principal
    }
    const live = await kw.sessions.issue({ userId: 'u1', expiresIn: '1h' })
    expect(await principalOf({ cookie: `sid=${live.token}` })).toMatchObject({ userId: 'u1' })
    const crossSite = { cookie: `sid=${live.token}`, 'sec-fetch-site': 'cross-site' }
    expect(await principalOf(crossSite, { method: 'POST', body: '' })).toBeNull()
    const short = await kw.sessions.issue({ userId: 'u2', expiresIn: '1m' })
    clock.advance(61_000)
    expect(await principalOf({ cookie: `sid=${short.token}` })).toBeNull()
    await kw.sessions.bump('u1')
    expect(await principalOf({ cookie: `sid=${live.token}` })).toBeNull()
    // The same stale cookie on a route that needs a principal is still refused.
    expectFailure(
      await app.request('/cookie', { cookie: `sid=${live.token}` }),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
    expectFailure(
      await app.request('/optional-cookie', { cookie: `sid=${live.token}`, ...bearer('junk') }),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
  })
}
