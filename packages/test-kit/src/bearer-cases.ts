import { expect, it } from 'vitest'
import { bearer, type CaseContext } from './case-context.js'

/** The bearer header: the principal, the answers to a missing, malformed or invalid token, scopes,
 * optional mode, the query string, revocation and expiry. */
export function bearerCases({ setup, expectFailure }: CaseContext): void {
  it('200 with the principal for a valid token, whatever the scheme’s case and spacing', async () => {
    const { app, mint } = await setup()
    const { token, record } = await mint()
    for (const scheme of ['Bearer ', 'bearer ', 'BEARER ', 'Bearer    ']) {
      const reply = await app.request('/me', { authorization: scheme + token })
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.body)).toMatchObject({
        kind: 'pat',
        userId: 'u1',
        tokenId: record.id,
        scopes: ['repo:read'],
      })
    }
  })

  it('401 with a bare challenge without credentials, for another scheme, or an empty header', async () => {
    const { app } = await setup()
    for (const headers of [
      {},
      { authorization: 'Basic dXNlcjpwdw==' },
      { authorization: 'BearerX abc' },
      { authorization: '' },
    ]) {
      expectFailure(await app.request('/me', headers), 401, 'Bearer realm="test"', 'missing_token')
    }
  })

  it('400 invalid_request for a malformed header, several credentials or a tab', async () => {
    const { app, mint } = await setup()
    const { token } = await mint()
    for (const authorization of [
      `Bearer\t${token}`,
      `Bearer ${token} ${token}`,
      `Bearer ${token},x`,
      'Bearer',
      'Bearer a"b',
      `Bearer ${token}\u00e9`,
    ]) {
      expectFailure(
        await app.request('/me', { authorization }),
        400,
        'Bearer realm="test", error="invalid_request"',
        'invalid_request',
      )
    }
  })

  it('the same 401 bytes for every invalid-token cause, never echoing the token', async () => {
    const { app, mint, kw, clock } = await setup()
    const good = (await mint()).token
    const expiring = (await mint(['repo:read'], 1000)).token
    const revoked = await mint()
    await kw.tokens.revoke(revoked.record.id)
    clock.advance(1000)
    const tokens = [
      `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`,
      `${good.slice(0, -49)}${'x'.repeat(49)}`,
      expiring,
      revoked.token,
      'random-string',
    ]
    const replies = await Promise.all(tokens.map((t) => app.request('/me', bearer(t))))
    for (const [i, reply] of replies.entries()) {
      expectFailure(reply, 401, 'Bearer realm="test", error="invalid_token"', 'invalid_token')
      expect(reply.body).toBe(replies[0]?.body)
      expect(reply.body + [...reply.headers].join()).not.toContain(tokens[i])
    }
  })

  it('scopes: wildcards where written, exact and case-sensitive otherwise', async () => {
    const { app, mint } = await setup()
    const ok = async (scopes: string[], path: string) =>
      (await app.request(path, bearer((await mint(scopes)).token))).status
    expect(await ok(['repo:read'], '/repos')).toBe(200)
    expect(await ok(['repo:*'], '/repos')).toBe(200)
    expect(await ok(['*'], '/write')).toBe(200)
    expect(await ok(['repo:write'], '/any')).toBe(200)
    for (const scopes of [['REPO:READ'], ['repo:read:all'], ['repo'], []]) {
      const reply = await app.request('/repos', bearer((await mint(scopes)).token))
      expectFailure(
        reply,
        403,
        'Bearer realm="test", error="insufficient_scope", scope="repo:read"',
        'insufficient_scope',
      )
    }
    const both = await app.request('/write', bearer((await mint(['repo:read'])).token))
    expect(both.headers.get('www-authenticate')).toBe(
      'Bearer realm="test", error="insufficient_scope", scope="repo:read repo:write"',
    )
  })

  it('authentication failures win over scope failures; a scope guard without a principal is 401', async () => {
    const { app } = await setup()
    expectFailure(
      await app.request('/repos', bearer('junk')),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
    expectFailure(await app.request('/bare-scope', {}), 401, 'Bearer realm="api"', 'missing_token')
  })

  it('optional mode: no credentials pass without a principal, bad ones are still refused', async () => {
    const { app, mint } = await setup()
    const none = await app.request('/optional')
    expect([none.status, JSON.parse(none.body)]).toEqual([200, { principal: null }])
    const good = await app.request('/optional', bearer((await mint()).token))
    expect(JSON.parse(good.body).principal).toMatchObject({ userId: 'u1' })
    expectFailure(
      await app.request('/optional', bearer('junk')),
      401,
      'Bearer realm="test", error="invalid_token"',
      'invalid_token',
    )
  })

  it('never accepts a token in the query string; with a header too it is 400', async () => {
    const { app, mint } = await setup()
    const { token } = await mint()
    expectFailure(await app.request(`/me?access_token=${token}`), 401, 'Bearer realm="test"', 'missing_token')
    expectFailure(
      await app.request(`/me?access_token=${token}`, bearer(token)),
      400,
      'Bearer realm="test", error="invalid_request"',
      'invalid_request',
    )
  })

  it('revoke, then the next request is 401; expiry is exact', async () => {
    const { app, mint, kw, clock } = await setup()
    const { token, record } = await mint()
    expect((await app.request('/me', bearer(token))).status).toBe(200)
    await kw.tokens.revoke(record.id)
    expect((await app.request('/me', bearer(token))).status).toBe(401)
    const short = await mint(['repo:read'], 1500)
    expect((await app.request('/me', bearer(short.token))).status).toBe(200)
    clock.advance(1500)
    expect((await app.request('/me', bearer(short.token))).status).toBe(401)
  })
}
