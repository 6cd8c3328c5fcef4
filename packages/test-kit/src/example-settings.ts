import { afterEach, describe, expect, it } from 'vitest'
import { type RunningExample, startExample } from './smoke.js'

type Answer = { status: number; headers: Headers; body: unknown }

/** What a call answered: its JSON, its text when not JSON, null for an empty body. */
async function call(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(base + path, { redirect: 'manual', ...init })
  const text = await response.text()
  const json = response.headers.get('content-type')?.includes('json') && text !== ''
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text || null }
}

/** Signs in through the example's own login; the Cookie header of the session. */
async function signIn(base: string, user: string): Promise<string> {
  const answer = await call(base, '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password: user }),
  })
  expect([answer.status, answer.body]).toEqual([200, { user }])
  const cookie = answer.headers.get('set-cookie') ?? ''
  expect(cookie).toMatch(/^sid=[\w-]{43}; HttpOnly; SameSite=Lax; Path=\/$/)
  return cookie.split(';')[0] ?? ''
}

function createToken(base: string, cookie: string, scopes: string[]): Promise<Answer> {
  return call(base, '/settings/tokens/tokens', {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'from the settings routes', scopes, expiresIn: '1d' }),
  })
}

/** The printed demo output, once the settings page lines are in it. */
async function settingsLines(running: RunningExample): Promise<string> {
  const deadline = Date.now() + 5_000
  while (!/^ {2}curl -i -b cookies\.txt/m.test(running.output()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return running.output()
}

/**
 * The token routes every example mounts at /settings/tokens behind its own tiny login (users
 * `demo` and `ada`, each with their name as password), over HTTP on the real server.
 */
export function exampleTokenRoutesTest(name: string, exampleDir: string): void {
  describe(`${name} example: token routes behind the example's login`, () => {
    let running: RunningExample | null = null
    afterEach(async () => {
      await running?.stop()
      running = null
    })

    it('prints the settings page address and how to sign in beside the curl lines', async () => {
      running = await startExample(exampleDir)
      const output = await settingsLines(running)
      expect(output).toContain(`token settings page: ${running.base}/settings/tokens/`)
      expect(output).toContain(`curl -i -c cookies.txt -d user=demo -d password=demo ${running.base}/login`)
    })

    it('a signed-in user creates a token (201, shown once) that answers 200 on the notes API, never from another site', async () => {
      running = await startExample(exampleDir)
      const cookie = await signIn(running.base, 'demo')
      const crossSite = await call(running.base, '/settings/tokens/tokens', {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
        body: JSON.stringify({ name: 'forged', scopes: ['notes:write'] }),
      })
      expect([crossSite.status, (crossSite.body as { error: { code: string } }).error.code]).toEqual([
        403,
        'cross_site_request',
      ])
      const created = await createToken(running.base, cookie, ['notes:read'])
      expect(created.status).toBe(201)
      expect(created.headers.get('cache-control')).toBe('no-store')
      const { token, record } = created.body as { token: string; record: { id: string; scopes: string[] } }
      expect(typeof token).toBe('string')
      expect(record.scopes).toEqual(['notes:read'])
      const read = await call(running.base, `/settings/tokens/tokens/${record.id}`, { headers: { cookie } })
      expect(read.status).toBe(200)
      expect(JSON.stringify(read.body)).not.toContain(token)
      const notes = await call(running.base, '/notes', { headers: { authorization: `Bearer ${token}` } })
      expect([notes.status, notes.body]).toEqual([200, []])
      const scopes = await call(running.base, '/settings/tokens/scopes', { headers: { cookie } })
      expect((scopes.body as { scopes: unknown }).scopes).toEqual([
        { name: 'notes:read', description: 'Read your notes' },
        { name: 'notes:write', description: 'Write new notes' },
      ])
    })

    it('answers 401 to no one signed in, a wrong password, a signed-out session and a PAT', async () => {
      running = await startExample(exampleDir)
      const base = running.base
      const unauthenticated = {
        error: { code: 'unauthenticated', message: 'Sign in to manage your tokens.' },
      }
      const anonymous = await createToken(base, '', ['notes:read'])
      expect([anonymous.status, anonymous.body]).toEqual([401, unauthenticated])
      const list = await call(base, '/settings/tokens/tokens')
      expect([list.status, list.body]).toEqual([401, unauthenticated])
      const wrong = await call(base, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=demo&password=not-demo',
      })
      expect([wrong.status, wrong.headers.get('set-cookie')]).toEqual([401, null])
      const cookie = await signIn(base, 'demo')
      const { token } = (await createToken(base, cookie, ['notes:read'])).body as { token: string }
      const bearer = await call(base, '/settings/tokens/tokens', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(bearer.status).toBe(401)
      const signOut = await call(base, '/logout', { method: 'POST', headers: { cookie } })
      expect(signOut.status).toBe(204)
      expect(signOut.headers.get('set-cookie')).toContain('Max-Age=0')
      expect((await call(base, '/settings/tokens/tokens', { headers: { cookie } })).status).toBe(401)
    })

    it("answers 404 for someone else's token, which stays usable", async () => {
      running = await startExample(exampleDir)
      const base = running.base
      const demo = await signIn(base, 'demo')
      const created = await createToken(base, demo, ['notes:read'])
      const { token, record } = created.body as { token: string; record: { id: string } }
      const ada = await signIn(base, 'ada')
      const notFound = { error: { code: 'not_found', message: 'No such token.' } }
      for (const method of ['GET', 'DELETE']) {
        const answer = await call(base, `/settings/tokens/tokens/${record.id}`, {
          method,
          headers: { cookie: ada },
        })
        expect([answer.status, answer.body]).toEqual([404, notFound])
      }
      const listed = await call(base, '/settings/tokens/tokens', { headers: { cookie: ada } })
      expect(listed.body).toEqual({ tokens: [], nextCursor: null })
      const notes = await call(base, '/notes', { headers: { authorization: `Bearer ${token}` } })
      expect(notes.status).toBe(200)
    })

    it('signs in from the form and lands on the settings page', async () => {
      running = await startExample(exampleDir)
      const page = await fetch(`${running.base}/login`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<form method="post" action="/login">')
      const form = await call(running.base, '/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'user=ada&password=ada',
      })
      expect([form.status, form.headers.get('location')]).toEqual([303, '/settings/tokens/'])
    })
  })
}
