import type { Keyward } from '@keyward/core'
import { expect, it } from 'vitest'
import { bearer } from './case-context.js'
import { JSON_TYPE, login, type TokenRouteContext } from './token-route-context.js'

/** Every one of the user's tokens, as the store has them: what a refused request must leave alone. */
const everything = async (kw: Keyward, userId = 'ada') => JSON.stringify(await kw.tokens.list(userId))

/** What the routes refuse, in the one error shape, changing nothing. */
export function tokenRouteRefusalCases({ setup, expectError }: TokenRouteContext): void {
  it('someone else’s token is 404, as is no token at all; it is left as it was', async () => {
    const { kw, as } = await setup()
    const { record } = await kw.tokens.create({ userId: 'bob', name: 'bob’s' })
    const before = await everything(kw, 'bob')
    const path = `/tokens/${record.id}`
    expectError(await as('ada').get(path), 404, 'not_found')
    expectError(await as('ada').send('PATCH', path, { name: 'mine' }), 404, 'not_found')
    expectError(await as('ada').send('DELETE', path), 404, 'not_found')
    expectError(await as('ada').send('POST', `${path}/rotate`, {}), 404, 'not_found')
    expectError(await as('ada').get('/tokens/nosuchtoken0000000000'), 404, 'not_found')
    expectError(await as('ada').get('/tokens/not%20an%20id'), 404, 'not_found')
    expect(await everything(kw, 'bob')).toBe(before)
  })

  it('not signed in is 401; a PAT is refused unless it holds patScope', async () => {
    const { kw, call } = await setup()
    expectError(await call('GET', '/settings/tokens'), 401, 'unauthenticated')
    expectError(await call('GET', '/own-login/tokens'), 401, 'unauthenticated')
    const { token } = await kw.tokens.create({
      userId: 'ada',
      name: 'n',
      scopes: ['repo:read', 'tokens:manage'],
    })
    expectError(await call('GET', '/settings/tokens', bearer(token)), 403, 'pat_not_allowed')
    const mint = await call('POST', '/settings/tokens', { ...bearer(token), ...JSON_TYPE }, { name: 'bred' })
    expectError(mint, 403, 'pat_not_allowed')
    expect((await kw.tokens.list('ada')).length).toBe(1)
  })

  it('with patScope, a PAT holding that scope manages its user’s tokens; one without it is refused', async () => {
    const { kw, call } = await setup({ patScope: 'tokens:manage' })
    const manager = await kw.tokens.create({ userId: 'ada', name: 'm', scopes: ['tokens:manage'] })
    const reader = await kw.tokens.create({ userId: 'ada', name: 'r', scopes: ['repo:read'] })
    const listed = await call('GET', '/settings/tokens', bearer(manager.token))
    expect([listed.status, listed.json.tokens.length]).toEqual([200, 2])
    expectError(await call('GET', '/settings/tokens', bearer(reader.token)), 403, 'pat_not_allowed')
  })

  it('an unsafe request from another site is 403 cross_site_request; nothing is created', async () => {
    const { kw, call, as } = await setup()
    const body = { name: 'n' }
    for (const site of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }]) {
      const own = await call('POST', '/own-login/tokens', { ...login('ada'), ...JSON_TYPE, ...site }, body)
      expectError(own, 403, 'cross_site_request')
      // Behind patAuth({ optional: true, appSession }), which lets it through with no principal.
      expectError(await as('ada').send('POST', '/tokens', body, site), 403, 'cross_site_request')
      // A session token in a header, sent from another site's page.
      const { token } = await kw.sessions.issue({ userId: 'ada' })
      const session = await call(
        'POST',
        '/settings/tokens',
        { ...bearer(token), ...JSON_TYPE, ...site },
        body,
      )
      expectError(session, 403, 'cross_site_request')
    }
    expect(await kw.tokens.list('ada')).toEqual([])
    const safe = await as('ada').get('/tokens', { 'sec-fetch-site': 'cross-site' })
    expect(safe.status).toBe(200)
  })

  it('a body that is not JSON is 415; one over the limit is 413; nothing is created', async () => {
    const { kw, as } = await setup()
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    expectError(await as('ada').send('POST', '/tokens', 'name=n', form), 415, 'unsupported_media_type')
    expectError(
      await as('ada').send('POST', '/tokens', 'name', { 'content-type': 'text/plain' }),
      415,
      'unsupported_media_type',
    )
    const huge = { name: 'x'.repeat(1_000_000), scopes: [] }
    expectError(await as('ada').send('POST', '/tokens', huge), 413, 'payload_too_large')
    const { record } = await kw.tokens.create({ userId: 'ada', name: 'kept' })
    expectError(await as('ada').send('PATCH', `/tokens/${record.id}`, huge), 413, 'payload_too_large')
    expect((await kw.tokens.list('ada')).map((token) => token.name)).toEqual(['kept'])
  })

  it('bad input is 400 with a precise message and changes nothing', async () => {
    const { kw, as } = await setup()
    const { record } = await kw.tokens.create({ userId: 'ada', name: 'kept', scopes: ['repo:read'] })
    const before = await everything(kw)
    const create = (body: unknown) => as('ada').send('POST', '/tokens', body)
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 42 }, /name/],
      [{ name: 'n'.repeat(256) }, /name must be a non-empty string of at most 255/],
      [{ name: 'n', scopes: 'repo:read' }, /scopes must be an array/],
      [{ name: 'n', scopes: ['admin'] }, /Unknown scope "admin"/],
      [{ name: 'n', scopes: ['*'] }, /Unknown scope "\*"/],
      [{ name: 'n', expiresIn: '500d' }, /maxLifetime/],
      [{ name: 'n', expiresIn: null }, /never expires/],
      [{ name: 'n', expiresIn: 30 }, /bare number/],
      [{ name: 'n', owner: 'bob' }, /Unknown field "owner"/],
      [[], /JSON object/],
      ['{"name":', /not valid JSON/],
    ]
    for (const [body, message] of cases) {
      const reply = await create(body)
      expectError(reply, 400, 'invalid_argument')
      expect(reply.json.error.message).toMatch(message)
    }
    const path = `/tokens/${record.id}`
    expectError(await as('ada').send('PATCH', path, { name: '' }), 400, 'invalid_argument')
    expectError(await as('ada').send('PATCH', path, { scopes: ['*'] }), 400, 'invalid_argument')
    expectError(
      await as('ada').send('POST', `${path}/rotate`, { gracePeriod: 3600 }),
      400,
      'invalid_argument',
    )
    for (const query of [
      'status=gone',
      'limit=0',
      'limit=x',
      'cursor=forged',
      'limit=1&limit=2',
      'sort=name',
    ]) {
      expectError(await as('ada').get(`/tokens?${query}`), 400, 'invalid_argument')
    }
    expect(await everything(kw)).toBe(before)
  })

  it('reauthenticate can demand a fresh login for create and rotate: 401, nothing changed', async () => {
    const asked: string[] = []
    let fresh = false
    const { kw, as } = await setup({
      reauthenticate: (_request, action) => {
        asked.push(action)
        return fresh
      },
    })
    const { record } = await kw.tokens.create({ userId: 'ada', name: 'kept' })
    const before = await everything(kw)
    expectError(await as('ada').send('POST', '/tokens', { name: 'n' }), 401, 'reauthentication_required')
    const rotate = await as('ada').send('POST', `/tokens/${record.id}/rotate`, {})
    expectError(rotate, 401, 'reauthentication_required')
    expect(await everything(kw)).toBe(before)
    // Reading, renaming and revoking need no fresh login.
    expect((await as('ada').send('PATCH', `/tokens/${record.id}`, { name: 'renamed' })).status).toBe(200)
    fresh = true
    expect((await as('ada').send('POST', '/tokens', { name: 'n' })).status).toBe(201)
    expect(asked).toEqual(['create', 'rotate', 'create'])
  })

  it('the per-user cap is 409 too_many_tokens; an unknown method is 405 with Allow', async () => {
    const { as } = await setup({}, { maxTokensPerUser: 1 })
    expect((await as('ada').send('POST', '/tokens', { name: 'one' })).status).toBe(201)
    expectError(await as('ada').send('POST', '/tokens', { name: 'two' }), 409, 'too_many_tokens')
    const put = await as('ada').send('PUT', '/tokens', {})
    expectError(put, 405, 'method_not_allowed')
    expect(put.headers.get('allow')).toBe('GET, POST')
  })

  it('the store down is 503 with Retry-After', async () => {
    const { store, as } = await setup()
    await store.close()
    for (const reply of [
      await as('ada').get('/tokens'),
      await as('ada').send('POST', '/tokens', { name: 'n' }),
    ]) {
      expectError(reply, 503, 'unavailable')
      expect(reply.headers.get('retry-after')).toBe('5')
    }
  })
}
