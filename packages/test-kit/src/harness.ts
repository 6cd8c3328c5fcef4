import type { Keyward } from '@keyward/core'

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

/** An app a suite only sends requests to (Hono: `app.request`; others: over loopback). */
export type RequestingApp = Pick<App, 'request' | 'close'>

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
