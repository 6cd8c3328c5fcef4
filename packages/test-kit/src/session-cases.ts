import { createKeyward, SESSION_TOKEN_TYPE } from '@keyward/core'
import { SignJWT } from 'jose'
import { expect, it } from 'vitest'
import { bearer, type CaseContext, SESSION_SECRET } from './case-context.js'

/** Session tokens: kind, bump, malformed claims, one version read per cold user, scopes, accept, the cookie. */
export function sessionCases({ setup, expectFailure }: CaseContext): void {
  it('sessions: 200 as kind session; after bump the old token is 401 on the next request, a new one 200', async () => {
    const { app, kw } = await setup()
    const old = await kw.sessions.issue({ userId: 'u1', scopes: ['repo:read'] })
    const first = await app.request('/me', bearer(old.token))
    expect([first.status, JSON.parse(first.body)]).toEqual([
      200,
      expect.objectContaining({ kind: 'session', userId: 'u1', scopes: ['repo:read'] }),
    ])
    await kw.sessions.bump('u1')
    expectFailure(
      await app.request('/me', bearer(old.token)),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
    const fresh = await kw.sessions.issue({ userId: 'u1' })
    expect((await app.request('/me', bearer(fresh.token))).status).toBe(200)
  })

  it('sessions: malformed sv, bad signatures, expiry and nbf are 401 invalid_token, never 500', async () => {
    const { app, clock } = await setup()
    const seconds = Math.floor(clock.now() / 1000)
    const sign = (
      claims: Record<string, unknown>,
      secret = SESSION_SECRET,
      times = { nbf: seconds, exp: seconds + 600 },
    ) =>
      new SignJWT({ ...claims, ...times })
        .setProtectedHeader({ alg: 'HS256', typ: SESSION_TOKEN_TYPE })
        .setSubject('u1')
        .sign(new TextEncoder().encode(secret))
    const tokens = await Promise.all([
      sign({}),
      sign({ sv: '0' }),
      sign({ sv: 0.5 }),
      sign({ sv: -1 }),
      sign({ sv: 2 ** 53 }),
      sign({ sv: null }),
      sign({ sv: { v: 0 } }),
      sign({ sv: 0 }, 'another-secret-that-is-long-enough-too'),
      sign({ sv: 0 }, SESSION_SECRET, { nbf: seconds - 600, exp: seconds - 1 }),
      sign({ sv: 0 }, SESSION_SECRET, { nbf: seconds + 600, exp: seconds + 1200 }),
    ])
    const good = await sign({ sv: 0 })
    tokens.push(`${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`)
    for (const token of tokens) {
      expectFailure(
        await app.request('/me', bearer(token)),
        401,
        'Bearer realm="test", error="invalid_token"',
        'invalid_token',
      )
    }
    expect((await app.request('/me', bearer(good))).status).toBe(200)
  })

  it('sessions: 500 concurrent requests for one user on a cold cache read the version once', async () => {
    const { app, kw, store, clock } = await setup()
    // Issued by another instance, so this app's version cache starts cold.
    const issuer = createKeyward({
      store,
      clock,
      tokenPrefix: 'test',
      sessions: { secret: SESSION_SECRET },
    })
    const { token } = await issuer.sessions.issue({ userId: 'u-cold' })
    const replies = await Promise.all(Array.from({ length: 500 }, () => app.request('/me', bearer(token))))
    expect(replies.every((r) => r.status === 200)).toBe(true)
    expect(kw.stats().sessions.versionReads).toBeLessThanOrEqual(1)
  })

  it('sessions: scopes from the scope claim against requireScope; no scopes means *', async () => {
    const { app, kw } = await setup()
    const reader = await kw.sessions.issue({ userId: 'u1', scopes: ['repo:read'] })
    expect((await app.request('/repos', bearer(reader.token))).status).toBe(200)
    expectFailure(
      await app.request('/write', bearer(reader.token)),
      403,
      'Bearer realm="test", error="insufficient_scope", scope="repo:read repo:write"',
      'insufficient_scope',
    )
    const everything = await kw.sessions.issue({ userId: 'u1' })
    expect((await app.request('/write', bearer(everything.token))).status).toBe(200)
  })

  it('accept: a PAT-only route refuses a session with 401', async () => {
    const { app, kw, mint } = await setup()
    const session = await kw.sessions.issue({ userId: 'u1' })
    expectFailure(
      await app.request('/pat-only', bearer(session.token)),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
    expect((await app.request('/pat-only', bearer((await mint()).token))).status).toBe(200)
  })

  it('sessionCookie: a session in the cookie passes, a PAT there does not, the header wins', async () => {
    const { app, kw, mint } = await setup()
    const session = await kw.sessions.issue({ userId: 'from-cookie' })
    const pat = await mint()
    const viaCookie = await app.request('/cookie', { cookie: `theme=dark; sid=${session.token}` })
    expect([viaCookie.status, JSON.parse(viaCookie.body).userId]).toEqual([200, 'from-cookie'])
    expect((await app.request('/cookie', { cookie: `sid=${pat.token}` })).status).toBe(401)
    const both = await app.request('/cookie', { cookie: `sid=${session.token}`, ...bearer(pat.token) })
    expect(JSON.parse(both.body)).toMatchObject({ kind: 'pat', userId: 'u1' })
    expectFailure(await app.request('/cookie'), 401, 'Bearer realm="test"', 'missing_token')
    // An empty or junk cookie is no credential at all: a bare 401, not a 400.
    for (const cookie of ['sid=', 'sid=""', 'sid=not a token', 'sid=%00']) {
      expectFailure(await app.request('/cookie', { cookie }), 401, 'Bearer realm="test"', 'missing_token')
    }
  })
}
