import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import {
  argon2Hasher,
  createKeyward,
  type Keyward,
  type KeywardOptions,
  SESSION_TOKEN_TYPE,
} from '@keyward/core'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
// The test kit is private: it shares the core's test backends rather than publishing them.
import {
  type Backend,
  backends,
  manualClock,
  postgresBackend,
  TEST_DATABASE_URL,
  wrongSecret,
} from '../../core/src/testing/backends.js'

export { faultProxy, testRedis } from '../../core/src/testing/services.js'
export { backends, manualClock, postgresBackend, TEST_DATABASE_URL, wrongSecret }

export type Reply = { status: number; headers: Headers; body: string }

/**
 * How a request is sent: `from` is the loopback address it comes from (127.0.0.2, …), so that a
 * case can tell clients apart; `method` defaults to GET.
 */
export type RequestOptions = { from?: string; method?: string; body?: string }

/** One framework's app with the conformance routes, built fresh for each case. */
export type App = {
  /**
   * A request through the framework (Hono: `app.request`, or over loopback HTTP when `from` is given;
   * others: over loopback HTTP).
   */
  request(path: string, headers?: Record<string, string>, options?: RequestOptions): Promise<Reply>
  /** A real server on 127.0.0.1, for raw-socket cases. */
  listen(): Promise<{ port: number; close(): Promise<void> }>
  /** Stops whatever `request` started. */
  close?(): Promise<void>
}

/**
 * What a framework must provide: an app with these routes, all behind `patAuth(kw, realm "test")`
 * except `/optional` (patAuth optional) and `/bare-scope` (requireScope without patAuth):
 * GET /me → 200 JSON principal; GET /repos → requireScope('repo:read');
 * GET /write → requireScope('repo:read', 'repo:write'); GET /any → requireAnyScope('admin', 'repo:write');
 * GET /optional → 200 JSON { principal: … | null }; GET /bare-scope → requireScope('repo:read');
 * GET /custom → patAuth with an `onError` that answers 418 with the body `custom:<error code>`;
 * GET /pat-only → patAuth({ accept: 'pat', realm: 'test' }), 200 JSON principal;
 * GET and POST /cookie → patAuth({ sessionCookie: 'sid', realm: 'test' }), 200 JSON principal;
 * GET and POST /optional-cookie → patAuth({ sessionCookie: 'sid', optional: true, realm: 'test' }),
 * 200 JSON { principal: … | null };
 * GET /upstream-body → a middleware that prepares a 200 text answer `upstream` (status and body
 * where the framework lets a middleware set them without sending; Hono: c.res), then
 * patAuth({ realm: 'test' }), then 200; GET /upstream-scope → the same, then requireScope('repo:read').
 *
 * The app's own login (`appSession`): each harness has a tiny cookie login of its own, a middleware
 * that sets the framework's user (Express `req.user`, Hono `c.set('user')`, Koa `ctx.state.user`)
 * to `loginUser(cookie header)`, i.e. `<user>` from a `login=<user>` cookie; behind it:
 * GET and POST /app-session → patAuth({ realm: 'test', appSession: (req) => grantFor(user) }),
 * requireScope('repo:read'), 200 JSON principal; GET /app-session-write → the same patAuth, then
 * requireScope('repo:write'), 200; GET and POST /app-session-optional → the same with optional: true,
 * 200 JSON { principal: … | null }; GET /app-session-bad → patAuth({ realm: 'test', appSession:
 * (req) => badGrantFor(user) }), 200.
 */
export type Harness = { name: string; app(kw: Keyward): App }

/** The user of the harnesses' cookie login: `<user>` from a `login=<user>` cookie. */
export function loginUser(cookieHeader: string | null | undefined): string | undefined {
  return /(?:^|;\s*)login=([^;]*)/.exec(cookieHeader ?? '')?.[1] || undefined
}

/**
 * The `appSession` of the conformance routes, given the user the harness's login set: the app
 * grants `repo:read`; the user `slow` is answered asynchronously, as a session store would.
 */
export function grantFor(
  user: unknown,
): { userId: string; scopes: string[] } | null | Promise<{ userId: string; scopes: string[] } | null> {
  if (typeof user !== 'string') return null
  const grant = { userId: user, scopes: ['repo:read'] }
  return user === 'slow' ? new Promise((resolve) => setImmediate(() => resolve(grant))) : grant
}

/** A wrong `appSession`, the mistake of passing a scope as a string: a programming error. */
export function badGrantFor(user: unknown): { userId: string; scopes: string[] } | null {
  return typeof user === 'string'
    ? ({ userId: user, scopes: 'repo:read' } as unknown as { userId: string; scopes: string[] })
    : null
}

/** A raw HTTP/1.1 exchange on loopback: for what fetch cannot send (duplicate header lines). */
export function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.setTimeout(5000, () => socket.destroy(new Error('raw request timed out')))
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1')
    })
    socket.on('end', () => resolve(data))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    socket.write(head.replace(/\n/g, '\r\n'))
  })
}

/** One request to a server on 127.0.0.1, from the loopback address `options.from` if given. */
export function loopbackRequest(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  options: RequestOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.from ? { localAddress: options.from } : {}),
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => {
          const replyHeaders = new Headers()
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of Array.isArray(value) ? value : [value ?? '']) replyHeaders.append(name, one)
          }
          resolve({ status: response.statusCode ?? 0, headers: replyHeaders, body })
        })
        response.on('error', reject)
      },
    )
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}

/** For Express and Koa: requests over one loopback server, started on first use. */
export function overLoopback(listen: App['listen']): App {
  let server: Promise<{ port: number; close(): Promise<void> }> | null = null
  return {
    listen,
    async request(path, headers = {}, options = {}) {
      server ??= listen()
      return loopbackRequest((await server).port, path, headers, options)
    },
    async close() {
      await (await server)?.close()
    },
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const SESSION_SECRET = 'conformance-session-secret-0123456789'

/** Every case of the shared behaviour, run for one framework against every store backend. */
export async function conformance(harness: Harness): Promise<void> {
  for (const backend of await backends()) suite(harness, backend)
}

function suite(harness: Harness, backend: Backend): void {
  describe(`${harness.name} conformance on ${backend.name}`, () => {
    const apps: App[] = []
    const instances: Keyward[] = []
    // Each case's instance (and so its store's connections) ends with the case: a file's cases would
    // otherwise hold theirs until the file ends, near Postgres's 100 connections with three suites.
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close?.()))
      await Promise.all(instances.splice(0).map((kw) => kw.close().catch(() => {})))
    })

    async function setup(options: Omit<KeywardOptions, 'store'> = {}) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        tokenPrefix: 'test',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        sessions: { secret: SESSION_SECRET },
        ...options,
      })
      const mint = async (scopes: string[] = ['repo:read'], expiresInMs?: number) =>
        kw.tokens.create({
          userId: 'u1',
          name: 'n',
          scopes,
          ...(expiresInMs ? { expiresAt: new Date(clock.now() + expiresInMs) } : {}),
        })
      instances.push(kw)
      const app = harness.app(kw)
      apps.push(app)
      return { kw, store, clock, mint, app }
    }

    const expectFailure = (reply: Reply, status: number, challenge: string | null, error: string) => {
      expect(reply.status).toBe(status)
      expect(reply.headers.get('www-authenticate')).toBe(challenge)
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
      expect(JSON.parse(reply.body)).toMatchObject({ error, error_description: expect.any(String) })
    }

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
      expectFailure(
        await app.request(`/me?access_token=${token}`),
        401,
        'Bearer realm="test"',
        'missing_token',
      )
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

    it('503 with Retry-After and no challenge when the store is down on a miss', async () => {
      const { app, mint, store } = await setup()
      const { token } = await mint()
      await store.close()
      const reply = await app.request('/me', bearer(token))
      expect(reply.status).toBe(503)
      expect(reply.headers.get('retry-after')).toBe('5')
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.headers.get('www-authenticate')).toBeNull()
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'unavailable' })
    })

    it('503 with Retry-After and no challenge once wrong secrets for a token id pass the budget', async () => {
      const { app, mint, clock } = await setup({ protection: { failuresPerToken: 2, failureWindow: '1m' } })
      const { token } = await mint()
      const guess = (n: number) => bearer(wrongSecret(token, n))
      for (const n of [1, 2]) expect((await app.request('/me', guess(n))).status).toBe(401)
      clock.advance(20_000)
      const reply = await app.request('/me', guess(3))
      expectFailure(reply, 503, null, 'unavailable')
      expect(reply.headers.get('retry-after')).toBe('40')
      expect(reply.body).not.toContain(token.slice(-49))
    })

    it('a failure is sent even over a 200 answer an upstream middleware prepared', async () => {
      const { app, mint } = await setup()
      const reply = await app.request('/upstream-body', bearer('junk'))
      expectFailure(reply, 401, 'Bearer realm="test", error="invalid_token"', 'invalid_token')
      expect(reply.body).not.toContain('upstream')
      const missing = await app.request('/upstream-body')
      expectFailure(missing, 401, 'Bearer realm="test"', 'missing_token')
      expect((await app.request('/upstream-body', bearer((await mint()).token))).status).toBe(200)
    })

    it('a scope failure is sent even over a 200 answer an upstream middleware prepared', async () => {
      const { app, mint } = await setup()
      const reply = await app.request('/upstream-scope', bearer((await mint([])).token))
      expectFailure(
        reply,
        403,
        'Bearer realm="test", error="insufficient_scope", scope="repo:read"',
        'insufficient_scope',
      )
      expect(reply.body).not.toContain('upstream')
      expect((await app.request('/upstream-scope', bearer((await mint()).token))).status).toBe(200)
    })

    it('sessionCookie: an unsafe request from another site cannot use the cookie; same-origin, safe and non-browser ones can', async () => {
      const { app, kw } = await setup()
      const session = await kw.sessions.issue({ userId: 'from-cookie' })
      const cookie = { cookie: `sid=${session.token}` }
      const post = { method: 'POST', body: 'a=1' }
      for (const headers of [
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { 'sec-fetch-site': 'cross-site', origin: 'http://app.test', host: 'app.test' },
        { origin: 'https://evil.example', host: 'app.test' },
        { origin: 'null' },
      ]) {
        const reply = await app.request('/cookie', { ...cookie, ...headers }, post)
        expect(reply.status).toBe(403)
        expect(reply.headers.get('www-authenticate')).toBeNull()
        expect(reply.headers.get('cache-control')).toBe('no-store')
        expect(JSON.parse(reply.body)).toEqual({
          error: 'cross_site_request',
          error_description: expect.any(String),
        })
        expect(reply.body + [...reply.headers].join()).not.toContain(session.token)
      }
      for (const headers of [
        { 'sec-fetch-site': 'same-origin' },
        { origin: 'http://app.test', host: 'app.test' },
        {},
      ]) {
        const reply = await app.request('/cookie', { ...cookie, ...headers }, post)
        expect([reply.status, JSON.parse(reply.body).userId]).toEqual([200, 'from-cookie'])
      }
      // A safe method, or a bearer header (a page cannot make a browser send one), is never concerned.
      expect((await app.request('/cookie', { ...cookie, 'sec-fetch-site': 'cross-site' })).status).toBe(200)
      const viaHeader = await app.request(
        '/cookie',
        { ...bearer(session.token), 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
        post,
      )
      expect(viaHeader.status).toBe(200)
    })

    it('sessionCookie on an optional route: a stale, expired or cross-site cookie is no one; a bad header is still refused', async () => {
      const { app, kw, clock } = await setup()
      const principalOf = async (headers: Record<string, string>, options?: RequestOptions) => {
        const reply = await app.request('/optional-cookie', headers, options)
        expect(reply.status).toBe(200)
        return JSON.parse(reply.body).principal
      }
      const live = await kw.sessions.issue({ userId: 'u1', expiresIn: '1h' })
      expect(await principalOf({ cookie: `sid=${live.token}` })).toMatchObject({ userId: 'u1' })
      const crossSite = { cookie: `sid=${live.token}`, 'sec-fetch-site': 'cross-site' }
      expect(await principalOf(crossSite, { method: 'POST', body: '' })).toBeNull()
      const short = await kw.sessions.issue({ userId: 'u2', expiresIn: '1m' })
      clock.advance(61_000)
      expect(await principalOf({ cookie: `sid=${short.token}` })).toBeNull()
      await kw.sessions.bump('u1')
      expect(await principalOf({ cookie: `sid=${live.token}` })).toBeNull()
      // The same stale cookie on a route that needs a principal is still refused.
      expectFailure(
        await app.request('/cookie', { cookie: `sid=${live.token}` }),
        401,
        'Bearer realm="test", error="invalid_token"',
        'invalid_token',
      )
      expectFailure(
        await app.request('/optional-cookie', { cookie: `sid=${live.token}`, ...bearer('junk') }),
        401,
        'Bearer realm="test", error="invalid_token"',
        'invalid_token',
      )
    })

    it('a stranger flooding wrong secrets from one address cannot lock out the owner at another', async () => {
      const { app, mint } = await setup({ protection: { failuresPerToken: 2, failureWindow: '1m' } })
      const { token } = await mint()
      // A cold process: the owner's token has not been seen here yet.
      const stranger = { from: '127.0.0.2' }
      for (let n = 0; n < 6; n++) await app.request('/me', bearer(wrongSecret(token, n)), stranger)
      expectFailure(
        await app.request('/me', bearer(wrongSecret(token, 9)), stranger),
        503,
        null,
        'unavailable',
      )
      const owner = await app.request('/me', bearer(token), { from: '127.0.0.3' })
      expect([owner.status, JSON.parse(owner.body).userId]).toEqual([200, 'u1'])
    })

    it('a token in an encoded query parameter is still refused alongside a header', async () => {
      const { app, mint } = await setup()
      const { token } = await mint()
      expect((await app.request('/me?access%5Ftoken=x', bearer(token))).status).toBe(400)
    })

    it('an 8 kB header is refused with no store read', async () => {
      const { app, kw } = await setup()
      expectFailure(
        await app.request('/me', { authorization: `Bearer ${'a'.repeat(8192)}` }),
        400,
        'Bearer realm="test", error="invalid_request"',
        'invalid_request',
      )
      expect(kw.stats().storeReads).toBe(0)
    })

    it('over a raw socket: two Authorization lines are 400; a header past Node’s limit is 431 and the server lives', async () => {
      const { app, mint } = await setup()
      const { token } = await mint()
      const server = await app.listen()
      try {
        const twice = await rawRequest(
          server.port,
          `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${token}\nAuthorization: Bearer ${token}\nConnection: close\n\n`,
        )
        expect(twice).toMatch(/^HTTP\/1\.1 400 /)
        expect(twice).toContain('error="invalid_request"')
        for (const [first, second] of [
          ['', `Bearer ${token}`],
          [`Bearer ${token}`, ''],
          ['Basic eDp5', `Bearer ${token}`],
        ]) {
          const reply = await rawRequest(
            server.port,
            `GET /me HTTP/1.1\nHost: x\nAuthorization: ${first}\nAuthorization: ${second}\nConnection: close\n\n`,
          )
          expect(reply).toMatch(/^HTTP\/1\.1 400 /)
        }
        const huge = await rawRequest(
          server.port,
          `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${'a'.repeat(20_000)}\nConnection: close\n\n`,
        )
        expect(huge).toMatch(/^HTTP\/1\.1 431 /)
        const after = await rawRequest(
          server.port,
          `GET /me HTTP/1.1\nHost: x\nAuthorization: Bearer ${token}\nConnection: close\n\n`,
        )
        expect(after).toMatch(/^HTTP\/1\.1 200 /)
      } finally {
        await server.close()
      }
    })

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
      expect(
        (await app.request('/app-session-write', bearer((await mint(['repo:write'])).token))).status,
      ).toBe(200)
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
  })
}

export { exampleSmokeTest } from './example-smoke.js'
export { type AppProcess, type NodeProcess, startAppProcess, startNodeProcess } from './processes.js'
export { demoToken, type RunningExample, startExample } from './smoke.js'
