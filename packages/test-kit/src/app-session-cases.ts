import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'

/** The app's own login (`appSession`): the principal it grants, what a header changes, sites, optional routes. */
export function appSessionCases({ setup, expectFailure }: CaseContext): void {
  const login = (user: string) => ({ cookie: `theme=dark; login=${user}` })

  it('appSession: the app’s logged-in user is a session principal with the app’s scopes; a PAT passes the same route; requireScope judges both', async () => {
    const { app, mint } = await setup()
    const reply = await app.request('/app-session', login('ada'))
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual({
      kind: 'session',
      userId: 'ada',
      scopes: ['repo:read'],
      expiresAt: null,
    })
    const slow = await app.request('/app-session', login('slow'))
    expect([slow.status, JSON.parse(slow.body).userId]).toEqual([200, 'slow'])
    const { token, record } = await mint(['repo:read'])
    const pat = await app.request('/app-session', bearer(token))
    expect(JSON.parse(pat.body)).toMatchObject({ kind: 'pat', userId: 'u1', tokenId: record.id })
    expectFailure(
      await app.request('/app-session-write', login('ada')),
      403,
      'Bearer realm="test", error="insufficient_scope", scope="repo:write"',
      'insufficient_scope',
    )
    expect((await app.request('/app-session-write', bearer((await mint(['repo:write'])).token))).status).toBe(
      200,
    )
    // Not logged in, and no header: the ordinary bare challenge.
    for (const headers of [{}, { cookie: 'theme=dark' }]) {
      expectFailure(await app.request('/app-session', headers), 401, 'Bearer realm="test"', 'missing_token')
    }
  })

  it('appSession: an Authorization header decides alone; a bad or revoked one is refused, never replaced by the app’s login', async () => {
    const { app, kw, mint } = await setup()
    const { token, record } = await mint()
    const both = await app.request('/app-session', { ...login('ada'), ...bearer(token) })
    expect(JSON.parse(both.body)).toMatchObject({ kind: 'pat', userId: 'u1' })
    await kw.tokens.revoke(record.id)
    const invalid = 'Bearer realm="test", error="invalid_token"'
    expectFailure(
      await app.request('/app-session', { ...login('ada'), ...bearer(token) }),
      401,
      invalid,
      'invalid_token',
    )
    expectFailure(
      await app.request('/app-session', { ...login('ada'), ...bearer('junk') }),
      401,
      invalid,
      'invalid_token',
    )
    expectFailure(
      await app.request('/app-session', { ...login('ada'), authorization: 'Bearer' }),
      400,
      'Bearer realm="test", error="invalid_request"',
      'invalid_request',
    )
    expectFailure(
      await app.request('/app-session-optional', { ...login('ada'), ...bearer('junk') }),
      401,
      invalid,
      'invalid_token',
    )
  })

  it('appSession: an unsafe request from another site cannot use the app’s login; same-origin, safe and scripted ones can', async () => {
    const { app } = await setup()
    const post = { method: 'POST' }
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }]) {
      const reply = await app.request('/app-session', { ...login('ada'), ...headers }, post)
      expectFailure(reply, 403, null, 'cross_site_request')
      const optional = await app.request('/app-session-optional', { ...login('ada'), ...headers }, post)
      expect([optional.status, JSON.parse(optional.body).principal]).toEqual([200, null])
    }
    for (const headers of [{ 'sec-fetch-site': 'same-origin' }, {}]) {
      const reply = await app.request('/app-session', { ...login('ada'), ...headers }, post)
      expect([reply.status, JSON.parse(reply.body).userId]).toEqual([200, 'ada'])
    }
    const safe = await app.request('/app-session', { ...login('ada'), 'sec-fetch-site': 'cross-site' })
    expect(safe.status).toBe(200)
  })

  it('appSession on an optional route: not logged in is no one, logged in is the principal', async () => {
    const { app } = await setup()
    const none = await app.request('/app-session-optional')
    expect([none.status, JSON.parse(none.body).principal]).toEqual([200, null])
    const ada = await app.request('/app-session-optional', login('ada'))
    expect(JSON.parse(ada.body).principal).toMatchObject({ kind: 'session', userId: 'ada' })
  })

  it('appSession: a bad return value is a programming error (a 500 through the framework), never a 401', async () => {
    const { app } = await setup()
    const reply = await app.request('/app-session-bad', login('ada'))
    expect(reply.status).toBe(500)
    expect(reply.headers.get('www-authenticate')).toBeNull()
    // Not logged in, the same function returns null: an ordinary 401.
    expect((await app.request('/app-session-bad')).status).toBe(401)
  })
}
