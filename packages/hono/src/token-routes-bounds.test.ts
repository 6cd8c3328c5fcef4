import { createKeyward, type Keyward, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { patAuth } from './index.js'
import { tokenRoutes } from './token-routes.js'

const open: Keyward[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((kw) => kw.close()))
})

/** Routes behind patAuth, with PATs allowed in by `tokens:manage`, and a hook for grantable scopes. */
async function setup(grantable?: () => readonly string[]) {
  const store = sqliteStore({ path: ':memory:', notify: false })
  await store.migrate()
  const kw = createKeyward({
    store,
    hasher: sha256Hasher(),
    scopes: ['repo:read', 'admin', 'tokens:manage'],
    logger: { warn: () => {} },
  })
  open.push(kw)
  const app = new Hono()
  app.use('/s/*', patAuth({ keyward: kw, realm: 'test', optional: true }))
  app.route(
    '/s',
    tokenRoutes({
      keyward: kw,
      patScope: 'tokens:manage',
      // The app's own login, for the signed-in user's calls.
      user: (c) => {
        const userId = c.req.header('x-signed-in-user')
        return userId ? { userId } : null
      },
      ...(grantable
        ? { grantableScopes: () => grantable().map((name) => ({ name, description: null })) }
        : {}),
    }),
  )
  const call = (token: string, method: string, path: string, body?: unknown) =>
    app.request(`/s${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  const callSignedIn = (userId: string, method: string, path: string, body: unknown) =>
    app.request(`/s${path}`, {
      method,
      headers: { 'x-signed-in-user': userId, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { kw, call, callSignedIn }
}

describe('token routes called with a PAT that holds patScope', () => {
  it('cannot grant a new token scopes the calling token lacks, nor patScope itself', async () => {
    const { kw, call } = await setup()
    const { token } = await kw.tokens.create({ userId: 'u', name: 'cli', scopes: ['tokens:manage'] })
    const escalate = await call(token, 'POST', '/tokens', { name: 'x', scopes: ['admin'] })
    expect(escalate.status).toBe(400)
    const breed = await call(token, 'POST', '/tokens', { name: 'x', scopes: ['tokens:manage'] })
    expect(breed.status).toBe(400)
    expect((await kw.tokens.list('u')).length).toBe(1)
    const scopes = (await (await call(token, 'GET', '/scopes')).json()) as { scopes: { name: string }[] }
    expect(scopes.scopes.map((scope) => scope.name)).toEqual([])
  })

  it('may grant what it holds, and the new token does not outlive the calling one', async () => {
    const { kw, call } = await setup()
    const { token, record } = await kw.tokens.create({
      userId: 'u',
      name: 'cli',
      scopes: ['tokens:manage', 'repo:read'],
      expiresIn: '7d',
    })
    const created = await call(token, 'POST', '/tokens', {
      name: 'x',
      scopes: ['repo:read'],
      expiresIn: '90d',
    })
    expect(created.status).toBe(201)
    const body = (await created.json()) as { record: { scopes: string[]; expiresAt: string } }
    expect(body.record.scopes).toEqual(['repo:read'])
    expect(Date.parse(body.record.expiresAt)).toBeLessThanOrEqual(record.expiresAt?.getTime() ?? 0)
  })

  it('cannot rotate a token that holds more than the calling token (its new secret would be an escalation)', async () => {
    const { kw, call } = await setup()
    const { token } = await kw.tokens.create({ userId: 'u', name: 'cli', scopes: ['tokens:manage'] })
    const admin = await kw.tokens.create({ userId: 'u', name: 'admin', scopes: ['admin'] })
    const rotated = await call(token, 'POST', `/tokens/${admin.record.id}/rotate`, {})
    expect(rotated.status).toBe(400)
    expect((await kw.tokens.get(admin.record.id))?.status).toBe('active')
  })
})

describe('rotating a token whose scopes may no longer be granted', () => {
  it('is refused with 400, and the token stays as it was', async () => {
    let grantable = ['repo:read', 'admin']
    const { kw, callSignedIn } = await setup(() => grantable)
    const admin = await kw.tokens.create({ userId: 'u', name: 'admin', scopes: ['admin'] })
    // The app took `admin` away from what this user may grant.
    grantable = ['repo:read']
    const rotated = await callSignedIn('u', 'POST', `/tokens/${admin.record.id}/rotate`, {})
    expect(rotated.status).toBe(400)
    expect(((await rotated.json()) as { error: { message: string } }).error.message).toMatch(/admin/)
    expect((await kw.tokens.get(admin.record.id))?.status).toBe('active')
  })
})
