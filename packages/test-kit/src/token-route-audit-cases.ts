import { expect, it } from 'vitest'
import { bearer } from './case-context.js'
import { JSON_TYPE, login, type TokenRouteContext } from './token-route-context.js'

const AGENT = { 'user-agent': 'KeywardConformance/1.0 (+audit)' }

/** The audit log through the routes: each call recorded with the caller, address and User-Agent. */
export function tokenRouteAuditCases({ setup, expectError }: TokenRouteContext): void {
  it('GET /audit: the caller’s own entries, newest first, with the address and User-Agent of their calls', async () => {
    const { kw, call } = await setup({}, { audit: true })
    const headers = { ...login('ada'), ...JSON_TYPE, ...AGENT }
    const from = '127.0.0.2'
    const created = await call(
      'POST',
      '/settings/tokens',
      headers,
      { name: 'ci', scopes: ['repo:read'] },
      from,
    )
    expect(created.status).toBe(201)
    const id = created.json.record.id
    expect((await call('PATCH', `/settings/tokens/${id}`, headers, { name: 'deploy' }, from)).status).toBe(
      200,
    )
    const rotated = await call('POST', `/settings/tokens/${id}/rotate`, headers, {}, from)
    expect(rotated.status).toBe(201)
    const successor = rotated.json.record.id
    expect(
      (await call('DELETE', `/settings/tokens/${successor}`, { ...login('ada'), ...AGENT }, undefined, from))
        .status,
    ).toBe(200)
    // An administrator's call about ada's token: listed, without the administrator's address.
    const other = await kw.tokens.create({
      userId: 'ada',
      name: 'admin-made',
      actor: { kind: 'admin', id: 'root', address: '10.9.8.7', userAgent: 'ops-console' },
    })
    // Bob's calls are not ada's to see.
    await kw.tokens.create({ userId: 'bob', name: 'bob’s' })

    const page = await call('GET', '/settings/audit', { ...login('ada') })
    expect(page.status).toBe(200)
    const { entries, nextCursor } = page.json
    expect(nextCursor).toBeNull()
    expect(entries.map((entry) => [entry.action, entry.tokenId])).toEqual([
      ['token.created', other.record.id],
      ['token.revoked', successor],
      ['token.rotated', id],
      ['token.updated', id],
      ['token.created', id],
    ])
    expect(entries[0]?.actor).toEqual({ kind: 'admin', id: 'root', address: null, userAgent: null })
    for (const entry of entries.slice(1)) {
      expect(entry).toMatchObject({
        userId: 'ada',
        actor: { kind: 'user', id: 'ada', userAgent: AGENT['user-agent'] },
      })
      // The address the framework gives (its proxy rules): the loopback address the request came from.
      expect(entry.actor.address).toMatch(/^(::ffff:)?127\.0\.0\.2$/)
      expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT/)
    }
    expect(entries[2]?.detail).toMatchObject({ successor })
    // Never a token.
    for (const token of [created.json.token, rotated.json.token])
      expect(page.body).not.toContain(token.slice(-49))

    const first = await call('GET', '/settings/audit?limit=2', login('ada'))
    expect(first.json.entries).toHaveLength(2)
    const second = await call('GET', `/settings/audit?limit=2&cursor=${first.json.nextCursor}`, login('ada'))
    expect(second.json.entries.map((entry) => entry.action)).toEqual(['token.rotated', 'token.updated'])
    const ofToken = await call('GET', `/settings/audit?tokenId=${id}&action=token.updated`, login('ada'))
    expect(ofToken.json.entries.map((entry) => entry.action)).toEqual(['token.updated'])
  })

  it('GET /audit refuses bad queries, other methods and callers as the other routes do', async () => {
    const { kw, call } = await setup({}, { audit: true })
    expectError(await call('GET', '/settings/audit?limit=0', login('ada')), 400, 'invalid_argument')
    expectError(await call('GET', '/settings/audit?cursor=nope', login('ada')), 400, 'invalid_argument')
    expectError(
      await call('GET', '/settings/audit?action=token.deleted', login('ada')),
      400,
      'invalid_argument',
    )
    expectError(await call('GET', '/settings/audit?userId=bob', login('ada')), 400, 'invalid_argument')
    expectError(await call('GET', '/settings/audit?limit=1&limit=2', login('ada')), 400, 'invalid_argument')
    const post = await call('POST', '/settings/audit', { ...login('ada'), ...JSON_TYPE }, {})
    expectError(post, 405, 'method_not_allowed')
    expect(post.headers.get('allow')).toBe('GET')
    expectError(await call('GET', '/settings/audit'), 401, 'unauthenticated')
    const { token } = await kw.tokens.create({ userId: 'ada', name: 'n', scopes: ['repo:read'] })
    expectError(await call('GET', '/settings/audit', bearer(token)), 403, 'pat_not_allowed')
    // Without the audit log the page is empty, not an error.
    const { call: plain } = await setup()
    const empty = await plain('GET', '/settings/audit', login('ada'))
    expect([empty.status, empty.json]).toEqual([200, { entries: [], nextCursor: null }])
  })

  it('a PAT with patScope is the actor of what it does: kind token, its own id', async () => {
    const { kw, call } = await setup({ patScope: 'tokens:manage' }, { audit: true })
    const manager = await kw.tokens.create({
      userId: 'ada',
      name: 'm',
      scopes: ['repo:read', 'tokens:manage'],
    })
    const made = await call(
      'POST',
      '/settings/tokens',
      { ...bearer(manager.token), ...JSON_TYPE, ...AGENT },
      { name: 'bot', scopes: ['repo:read'] },
    )
    expect(made.status).toBe(201)
    const page = await call('GET', `/settings/audit?tokenId=${made.json.record.id}`, bearer(manager.token))
    expect(page.json.entries).toEqual([
      expect.objectContaining({
        action: 'token.created',
        actor: expect.objectContaining({
          kind: 'token',
          id: manager.record.id,
          userAgent: AGENT['user-agent'],
        }),
      }),
    ])
  })
}
