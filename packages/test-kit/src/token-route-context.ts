import type {
  AuditEntryJSON,
  Keyward,
  KeywardOptions,
  ScopeInfo,
  TokenJSON,
  TokenLifetime,
  TokenRoutesOptions,
} from '@keyward/core'
import type { Backend } from '@keyward/core/internal/testing'
import { expect } from 'vitest'
import { perCase, SESSION_SECRET } from './case-context.js'
import type { App, Reply } from './harness.js'

/** The options a case gives the routes; the harness adds `keyward` (and `user` under /own-login). */
export type RouteTestOptions = Omit<TokenRoutesOptions<unknown>, 'keyward' | 'user'>

/**
 * What a framework must provide for the token-route suite: an app with the harness's cookie login
 * (`loginUser`) and, mounted twice with `options`:
 * `/settings` → the login, patAuth({ keyward: kw, realm: 'test', optional: true, appSession:
 * (req) => grantFor(user) }), then tokenRoutes({ keyward: kw, ...options });
 * `/own-login` → the login, then tokenRoutes({ keyward: kw, ...options, user: (req) => user ?
 * { userId: user } : null }). Anything else answers the framework's own 404.
 */
export type TokenRoutesHarness = { name: string; app(kw: Keyward, options: RouteTestOptions): App }

/** Any answer of the routes, read as the one a case expects (a case asserts the fields it reads). */
export type RouteAnswer = TokenJSON & {
  error: { code: string; message: string }
  token: string
  record: TokenJSON
  previous: TokenJSON
  tokens: TokenJSON[]
  nextCursor: string | null
  scopes: ScopeInfo[]
  lifetime: TokenLifetime
  entries: AuditEntryJSON[]
}
export type JsonReply = Reply & { json: RouteAnswer }

export const login = (user: string) => ({ cookie: `login=${user}` })
export const JSON_TYPE = { 'content-type': 'application/json' }

/** A fresh store, clock, instance and app per case; each ends with its case. */
export function tokenRouteContext(harness: TokenRoutesHarness, backend: Backend) {
  const cases = perCase(backend)

  async function setup(routes: RouteTestOptions = {}, options: Omit<KeywardOptions, 'store' | 'clock'> = {}) {
    const { kw, store, clock } = await cases.open({
      scopes: ['repo:read', 'repo:write', 'tokens:manage'],
      sessions: { secret: SESSION_SECRET },
      ...options,
    })
    const app = cases.serve(harness.app(kw, routes))
    /** A request; every answer of the routes (and of patAuth in front) is `no-store`. */
    const call = async (
      method: string,
      path: string,
      headers: Record<string, string> = {},
      body?: unknown,
      from?: string,
    ): Promise<JsonReply> => {
      const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
      const reply = await app.request(path, headers, {
        method,
        ...(text === undefined ? {} : { body: text }),
        ...(from === undefined ? {} : { from }),
      })
      expect(reply.headers.get('cache-control')).toBe('no-store')
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
      return { ...reply, json: JSON.parse(reply.body) as RouteAnswer }
    }
    /** As `call`, as the signed-in `user` through /settings, with JSON bodies. */
    const as = (user: string) => ({
      get: (path: string, headers = {}) => call('GET', `/settings${path}`, { ...login(user), ...headers }),
      // DELETE goes without a body: Node's client would send one with neither length nor chunks.
      send: (method: string, path: string, body?: unknown, headers = {}) =>
        call(
          method,
          `/settings${path}`,
          { ...login(user), ...JSON_TYPE, ...headers },
          method === 'DELETE' ? undefined : (body ?? {}),
        ),
    })
    return { kw, store, clock, app, call, as }
  }

  /** An error answer: its status and code in the routes' one shape, with a message. */
  const expectError = (reply: JsonReply, status: number, code: string) => {
    expect([reply.status, reply.json?.error?.code]).toEqual([status, code])
    expect(reply.json.error.message).toEqual(expect.any(String))
  }

  return { setup, expectError }
}

export type TokenRouteContext = ReturnType<typeof tokenRouteContext>
