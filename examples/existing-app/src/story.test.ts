import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { postgresStore } from '@keyward/core/postgres'
import { type NodeProcess, postgresBackend, startNodeProcess, TEST_DATABASE_URL } from '@keyward/test-kit'
import { pushSchema } from 'drizzle-kit/api'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateApp } from './db/migrate.js'

// Only to learn whether Postgres is up (it skips loudly, or throws under CI, when it is not).
const available = (await postgresBackend()) !== null
const dbSchema = `keyward_example_${randomBytes(6).toString('hex')}`
// schema.ts names its tables after DB_SCHEMA when it is loaded (app.ts imports it), as in the
// app's processes; so both are loaded only now.
process.env.DB_SCHEMA = dbSchema
const schema = await import('./db/schema.js')
const { TOKEN_SCOPES } = await import('./app.js')

const exampleDir = fileURLToPath(new URL('..', import.meta.url))
const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 })
const processes: NodeProcess[] = []
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()))
  if (available) await pool.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`)
  await pool.end()
})

type Reply = { status: number; headers: Headers; body: unknown; text: string }

/** One app process (`src/server.ts`) on the test's database and schema, and a client for it. */
async function startApp() {
  const running = await startNodeProcess(['src/server.ts'], {
    cwd: exampleDir,
    env: { DATABASE_URL: TEST_DATABASE_URL, DB_SCHEMA: dbSchema, PORT: '0' },
    ready: /listening on http:\/\/127\.0\.0\.1:\d+/,
  })
  processes.push(running)
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())?.[1]
  return {
    output: running.output,
    async call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await response.text()
      const json = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text
      return { status: response.status, headers: response.headers, body: json, text } as Reply
    },
  }
}
type App = Awaited<ReturnType<typeof startApp>>

async function logIn(app: App, user: string): Promise<Record<string, string>> {
  const reply = await app.call('POST', '/login', {}, { user })
  expect(reply.status).toBe(200)
  const cookie = /^sid=[^;]+/.exec(reply.headers.get('set-cookie') ?? '')?.[0]
  if (!cookie) throw new Error('no session cookie')
  return { cookie }
}

/** Milliseconds until `app` answers 401 to `path` with this token; fails after a second. */
async function refusedWithinASecond(app: App, path: string, token: string): Promise<number> {
  const start = Date.now()
  for (;;) {
    const reply = await app.call('GET', path, { authorization: `Bearer ${token}` })
    if (reply.status === 401) return Date.now() - start
    expect(reply.status).toBe(200)
    if (Date.now() - start > 1000) throw new Error(`${path} still answers 200 a second after the revoke`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.skipIf(!available)('the existing app with Keyward added (docs/existing-app.md)', () => {
  it('serves the browser session and PATs on /api, and revokes and deletes across processes', async () => {
    const [a, b] = await Promise.all([startApp(), startApp()])
    // `{ db }` on node-postgres LISTENs: neither process warns of a missing channel.
    for (const app of [a, b]) {
      expect((await app.call('GET', '/health')).body).toEqual({ ok: true, invalidations: 'postgres' })
      expect(app.output()).not.toMatch(/revocations reach other processes only/)
    }

    // Public pages and the login stay outside patAuth; /api needs a credential.
    expect((await a.call('GET', '/')).status).toBe(200)
    const anonymous = await a.call('GET', '/api/notes')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="existing-app"')

    // The app's own cookie session reaches /api as a principal of kind `session`.
    const bob = await logIn(a, 'bob')
    expect((await a.call('GET', '/api/me', bob)).body).toEqual({
      kind: 'session',
      userId: 'bob',
      scopes: TOKEN_SCOPES,
      expiresAt: null,
    })
    expect(await a.call('GET', '/api/notes', bob)).toMatchObject({ status: 200, body: [] })

    // Mint through the route: the token is in that one answer, never stored or listed.
    const minted = await a.call('POST', '/api/tokens', bob, {
      name: 'backup script',
      scopes: ['notes:read', 'notes:write'],
      expiresIn: '30d',
    })
    expect(minted.status).toBe(201)
    expect(minted.headers.get('cache-control')).toBe('no-store')
    const { token, record } = minted.body as { token: string; record: { id: string } }
    expect(token).toMatch(/^acme_/)
    const pat = { authorization: `Bearer ${token}` }
    const listed = await a.call('GET', '/api/tokens', bob)
    expect(listed.body).toMatchObject({ tokens: [{ id: record.id, status: 'active' }], nextCursor: null })
    expect(listed.text).not.toContain(token.slice(-49))

    // The PAT works from a script (no cookie), on both processes: one database.
    const written = await a.call('POST', '/api/notes', pat, { text: 'from the script' })
    expect(written.status).toBe(201)
    expect(await b.call('GET', '/api/notes', pat)).toMatchObject({
      status: 200,
      body: [{ userId: 'bob', text: 'from the script' }],
    })
    expect((await a.call('GET', '/api/me', pat)).body).toMatchObject({ kind: 'pat', tokenId: record.id })
    // A PAT cannot manage tokens, nor mint beyond what the app lets tokens carry.
    expect((await a.call('POST', '/api/tokens', pat, { name: 'more', scopes: ['notes:read'] })).status).toBe(
      403,
    )
    const ada = await logIn(a, 'ada')
    expect((await a.call('POST', '/api/tokens', ada, { name: 'x', scopes: ['users:admin'] })).status).toBe(
      400,
    )
    expect((await a.call('POST', '/api/tokens', bob, { name: 'x', scopes: ['users:admin'] })).status).toBe(
      403,
    )

    // A cross-site POST carrying only the cookie is refused, on notes and on minting alike.
    const crossSite = { ...bob, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }
    for (const path of ['/api/notes', '/api/tokens']) {
      const refused = await a.call('POST', path, crossSite, { text: 'csrf', name: 'csrf', scopes: [] })
      expect([refused.status, (refused.body as { error: string }).error]).toEqual([403, 'cross_site_request'])
    }
    // The same script request with a header passes: a bearer header is never ambient.
    expect((await a.call('GET', '/api/notes', { ...pat, 'sec-fetch-site': 'cross-site' })).status).toBe(200)

    // Revoke on the first process: refused there at once, and on the second within a second.
    const revoked = await a.call('DELETE', `/api/tokens/${record.id}`, bob)
    expect(revoked.body).toMatchObject({ id: record.id, status: 'revoked' })
    const now = await a.call('GET', '/api/notes', pat)
    expect(now.status).toBe(401)
    expect(now.headers.get('www-authenticate')).toContain('error="invalid_token"')
    const ms = await refusedWithinASecond(b, '/api/notes', token)
    console.info(`existing-app: a token revoked on one process was refused by the other after ${ms} ms`)
    expect((await a.call('GET', '/api/tokens?status=revoked', bob)).body).toMatchObject({
      tokens: [{ id: record.id }],
    })

    // Delete the user: only the admin may; then none of their credentials work anywhere.
    expect((await a.call('DELETE', '/api/admin/users/ada', bob)).status).toBe(403)
    const second = await a.call('POST', '/api/tokens', bob, { name: 'laptop', scopes: ['notes:read'] })
    const laptop = (second.body as { token: string }).token
    for (const app of [a, b]) {
      expect((await app.call('GET', '/api/notes', { authorization: `Bearer ${laptop}` })).status).toBe(200)
    }
    const deleted = await a.call('DELETE', '/api/admin/users/bob', ada)
    expect(deleted.body).toEqual({ deleted: true, tokensRevoked: 1 })
    expect((await a.call('GET', '/api/me', bob)).status).toBe(401)
    expect((await a.call('GET', '/api/notes', { authorization: `Bearer ${laptop}` })).status).toBe(401)
    await refusedWithinASecond(b, '/api/notes', laptop)
    expect((await a.call('POST', '/login', {}, { user: 'bob' })).status).toBe(401)
    // The admin's own session is untouched.
    expect((await a.call('GET', '/api/me', ada)).status).toBe(200)
  })

  it("keeps drizzle-kit in step: the app's schema file proposes nothing against the migrated database", async () => {
    // What the app's start-up does (idempotent, so it does not matter whether the other case ran).
    const db = drizzle(pool)
    await migrateApp(pool, dbSchema)
    const store = postgresStore({ db, schema: dbSchema, notify: false })
    await store.migrate()
    await store.close()

    // Without Keyward's tables re-exported, drizzle-kit would drop them, as it did in issue 20.
    const { appSchema, users, notes } = schema
    const without = await pushSchema({ appSchema, users, notes }, db, [dbSchema])
    expect(without.statementsToExecute.join('\n')).toMatch(/DROP TABLE "[^"]+"\."keyward_tokens" CASCADE/)
    // With them (the whole schema file, as drizzle.config.ts points at it): nothing to do.
    const withThem = await pushSchema({ ...schema }, db, [dbSchema])
    expect(withThem.statementsToExecute).toEqual([])
  })
})
