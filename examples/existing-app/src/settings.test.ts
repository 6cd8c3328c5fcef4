import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { type NodeProcess, postgresBackend, startNodeProcess, TEST_DATABASE_URL } from '@keyward/test-kit'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

// Only to learn whether Postgres is up (it skips loudly, or throws under CI, when it is not).
const available = (await postgresBackend()) !== null
const dbSchema = `keyward_settings_${randomBytes(6).toString('hex')}`
const exampleDir = fileURLToPath(new URL('..', import.meta.url))
const processes: NodeProcess[] = []
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()))
  if (!available) return
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 })
  await pool.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`)
  await pool.end()
})

type Reply = { status: number; headers: Headers; body: unknown }

/** The app (`src/server.ts`) on a fresh schema, and a JSON client for it. */
async function startApp() {
  const running = await startNodeProcess(['src/server.ts'], {
    cwd: exampleDir,
    env: { DATABASE_URL: TEST_DATABASE_URL, DB_SCHEMA: dbSchema, PORT: '0' },
    ready: /listening on http:\/\/127\.0\.0\.1:\d+/,
  })
  processes.push(running)
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())?.[1]
  return async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    const json = response.headers.get('content-type')?.includes('json') && text !== ''
    return {
      status: response.status,
      headers: response.headers,
      body: json ? JSON.parse(text) : text,
    } as Reply
  }
}
type Call = Awaited<ReturnType<typeof startApp>>

async function logIn(call: Call, user: string): Promise<Record<string, string>> {
  const reply = await call('POST', '/login', {}, { user })
  expect(reply.status).toBe(200)
  return { cookie: /^sid=[^;]+/.exec(reply.headers.get('set-cookie') ?? '')?.[0] ?? '' }
}

describe.skipIf(!available)("Keyward's token routes at /settings/tokens, behind the app's own login", () => {
  it('a logged-in user creates a token that reaches /api; 401 logged out; 404 for another user', async () => {
    const call = await startApp()
    const unauthenticated = await call(
      'POST',
      '/settings/tokens/tokens',
      {},
      { name: 'x', scopes: ['notes:read'] },
    )
    expect([unauthenticated.status, unauthenticated.body]).toEqual([
      401,
      { error: { code: 'unauthenticated', message: 'Sign in to manage your tokens.' } },
    ])

    const bob = await logIn(call, 'bob')
    const created = await call('POST', '/settings/tokens/tokens', bob, {
      name: 'script',
      scopes: ['notes:read'],
    })
    expect(created.status).toBe(201)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const { token, record } = created.body as { token: string; record: { id: string; userId: string } }
    expect(record.userId).toBe('bob')
    const bearer = { authorization: `Bearer ${token}` }
    expect(await call('GET', '/api/notes', bearer)).toMatchObject({ status: 200, body: [] })
    // A PAT alone is no one here: the routes take the app's login only.
    expect((await call('GET', '/settings/tokens/tokens', bearer)).status).toBe(401)

    const ada = await logIn(call, 'ada')
    for (const method of ['GET', 'DELETE']) {
      const other = await call(method, `/settings/tokens/tokens/${record.id}`, ada)
      expect([other.status, other.body]).toEqual([
        404,
        { error: { code: 'not_found', message: 'No such token.' } },
      ])
    }
    expect((await call('GET', '/api/notes', bearer)).status).toBe(200)

    await call('POST', '/logout', bob)
    expect((await call('GET', '/settings/tokens/tokens', bob)).status).toBe(401)
  })
})
