import { expect, it } from 'vitest'
import { bearer } from './case-context.js'
import { login, type TokenRouteContext } from './token-route-context.js'

const DAY = 86_400_000

/** What a signed-in user does with the routes: create, list, read, rename, rotate, revoke, scopes. */
export function tokenRouteCases({ setup }: TokenRouteContext): void {
  it('create answers 201 with the token once; list and read never show it; the token works', async () => {
    const { kw, clock, as } = await setup()
    const created = await as('ada').send('POST', '/tokens', {
      name: 'deploy',
      scopes: ['repo:write', 'repo:read'],
      expiresIn: '30d',
      description: 'CI',
    })
    expect(created.status).toBe(201)
    const { token, record } = created.json
    expect(token).toMatch(/^test_/)
    expect(record).toMatchObject({
      userId: 'ada',
      name: 'deploy',
      scopes: ['repo:read', 'repo:write'],
      status: 'active',
      description: 'CI',
      createdAt: new Date(clock.now()).toISOString(),
      expiresAt: new Date(clock.now() + 30 * DAY).toISOString(),
      lastUsedAt: null,
      revokedAt: null,
    })
    expect(record).not.toHaveProperty('secretHash')
    const list = await as('ada').get('/tokens')
    expect(list.status).toBe(200)
    expect(list.json).toEqual({ tokens: [record], nextCursor: null })
    const one = await as('ada').get(`/tokens/${record.id}`)
    expect([one.status, one.json]).toEqual([200, record])
    for (const reply of [list, one]) expect(reply.body).not.toContain(token.slice(-49))
    expect(await kw.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true, principal: { userId: 'ada' } })
    // Without expiresIn, the policy's default.
    const plain = await as('ada').send('POST', '/tokens', { name: 'plain', scopes: [] })
    expect(plain.json.record.expiresAt).toBe(new Date(clock.now() + 90 * DAY).toISOString())
  })

  it('list pages with a cursor, newest first, and filters by status', async () => {
    const { kw, clock, as } = await setup()
    const ids: string[] = []
    for (const name of ['a', 'b', 'c']) {
      ids.push((await kw.tokens.create({ userId: 'ada', name })).record.id)
      clock.advance(1000)
    }
    await kw.tokens.create({ userId: 'bob', name: 'not ada’s' })
    await kw.tokens.revoke(ids[0] as string)
    const first = await as('ada').get('/tokens?limit=2')
    expect(first.json.tokens.map((token) => token.name)).toEqual(['c', 'b'])
    expect(first.json.nextCursor).toEqual(expect.any(String))
    const next = await as('ada').get(`/tokens?limit=2&cursor=${first.json.nextCursor}`)
    expect([next.json.tokens.map((token) => token.name), next.json.nextCursor]).toEqual([['a'], null])
    const revoked = await as('ada').get('/tokens?status=revoked')
    expect(revoked.json.tokens.map((token) => [token.name, token.status])).toEqual([['a', 'revoked']])
    const active = await as('ada').get('/tokens?status=active')
    expect(active.json.tokens.map((token) => token.name)).toEqual(['c', 'b'])
  })

  it('rename changes the name and description only', async () => {
    const { kw, as } = await setup()
    const { record } = await kw.tokens.create({ userId: 'ada', name: 'old', scopes: ['repo:read'] })
    const renamed = await as('ada').send('PATCH', `/tokens/${record.id}`, { name: 'new', description: 'x' })
    expect(renamed.status).toBe(200)
    expect(renamed.json).toMatchObject({
      id: record.id,
      name: 'new',
      description: 'x',
      scopes: ['repo:read'],
    })
    expect((await kw.tokens.get(record.id))?.name).toBe('new')
  })

  it('rotate answers 201 with a new token; with a grace period the old one lives until it ends', async () => {
    const { kw, clock, as } = await setup()
    const old = await kw.tokens.create({ userId: 'ada', name: 'ci', scopes: ['repo:read'] })
    const rotated = await as('ada').send('POST', `/tokens/${old.record.id}/rotate`, { gracePeriod: '1h' })
    expect(rotated.status).toBe(201)
    expect(rotated.json.record).toMatchObject({ name: 'ci', scopes: ['repo:read'], status: 'active' })
    expect(rotated.json.previous).toMatchObject({
      id: old.record.id,
      status: 'active',
      expiresAt: new Date(clock.now() + 3_600_000).toISOString(),
    })
    expect((await kw.authenticate(`Bearer ${rotated.json.token}`)).ok).toBe(true)
    expect((await kw.authenticate(`Bearer ${old.token}`)).ok).toBe(true)
    // The old token is on its way out: it cannot be rotated again.
    const again = await as('ada').send('POST', `/tokens/${old.record.id}/rotate`, {})
    expect([again.status, again.json.error.code]).toEqual([409, 'token_not_active'])
    // Without a body's options: at once.
    const now = await as('ada').send('POST', `/tokens/${rotated.json.record.id}/rotate`)
    expect([now.status, now.json.previous.status]).toEqual([201, 'revoked'])
  })

  it('revoke answers 200 with the revoked token, which stops working', async () => {
    const { kw, as } = await setup()
    const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'n' })
    const revoked = await as('ada').send('DELETE', `/tokens/${record.id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.json).toMatchObject({ id: record.id, status: 'revoked' })
    expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(false)
  })

  it('scopes lists the grantable scopes with descriptions and the lifetime policy', async () => {
    const { as } = await setup()
    const reply = await as('ada').get('/scopes')
    expect(reply.status).toBe(200)
    expect(reply.json.scopes).toEqual([
      { name: 'repo:read', description: null },
      { name: 'repo:write', description: null },
      { name: 'tokens:manage', description: null },
    ])
    expect(reply.json.lifetime).toEqual({
      defaultExpiresIn: '90d',
      maxLifetime: '365d',
      allowNeverExpiring: false,
      choices: ['7d', '30d', '60d', '90d', '180d', '365d'],
    })
  })

  it('grantableScopes bounds what a user may grant, and is what /scopes lists', async () => {
    const { as } = await setup({
      grantableScopes: (userId) => (userId === 'ada' ? [{ name: 'repo:read', description: 'Read' }] : []),
    })
    expect((await as('ada').get('/scopes')).json.scopes).toEqual([{ name: 'repo:read', description: 'Read' }])
    expect((await as('ada').send('POST', '/tokens', { name: 'r', scopes: ['repo:read'] })).status).toBe(201)
    const refused = await as('ada').send('POST', '/tokens', { name: 'w', scopes: ['repo:write'] })
    expect([refused.status, refused.json.error.message]).toEqual([400, expect.stringContaining('repo:write')])
  })

  it('the app’s own login through the `user` hook; a session token in a header; other paths pass on', async () => {
    const { kw, call, app } = await setup()
    const created = await call(
      'POST',
      '/own-login/tokens',
      { ...login('eve'), 'content-type': 'application/json' },
      {
        name: 'mine',
      },
    )
    expect([created.status, created.json.record.userId]).toEqual([201, 'eve'])
    const listed = await call('GET', '/own-login/tokens', login('eve'))
    expect(listed.json.tokens.map((token) => token.name)).toEqual(['mine'])
    const { token } = await kw.sessions.issue({ userId: 'eve' })
    const bySession = await call('GET', '/settings/tokens', bearer(token))
    expect(bySession.json.tokens.map((one) => one.name)).toEqual(['mine'])
    expect((await app.request('/own-login/elsewhere', login('eve'))).status).toBe(404)
  })
}
