import type { CrossSiteOptions } from './cross-site.js'
import type { Keyward, ScopeInfo } from './keyward-types.js'
import type { Principal } from './principal.js'
import type { SettingsPageOptions } from './token-page.js'
import type { TokenRouteResponse } from './token-route-answers.js'
import type { RouteBody } from './token-route-input.js'

/**
 * The token-management routes (list, create, read, rename, rotate, revoke, grantable scopes, the
 * caller's audit entries),
 * framework-agnostic: an adapter hands `handle` the request as a `TokenRouteRequest` and copies
 * the `TokenRouteResponse` it gets back, or passes the request on when it gets null.
 */

/** The app's signed-in user, as the `user` hook returns it. */
export type RouteUser = { userId: string }

export type TokenRoutesOptions<Req = unknown> = {
  /** Default: the one Keyward instance open in this process, as for `patAuth()`. */
  keyward?: Keyward
  /**
   * The app's own login: the signed-in user of the framework's request (Express `req`, Hono `c`,
   * Koa `ctx`), or null/undefined for no one; may be async. Without it (or when it names no one),
   * the principal of a `patAuth()` in front of the routes is the user.
   */
  user?: (request: Req) => RouteUser | null | undefined | Promise<RouteUser | null | undefined>
  /**
   * A PAT is refused on every route (`pat_not_allowed`: a leaked token must not breed more) unless
   * it holds this scope, e.g. `'tokens:manage'`. Session principals are always accepted.
   */
  patScope?: string
  /** Called before create and rotate: false answers 401 `reauthentication_required`. */
  reauthenticate?: (request: Req, action: 'create' | 'rotate') => boolean | Promise<boolean>
  /**
   * The scopes a user may grant their tokens. Default: the instance's scopes (`kw.scopes`); an
   * instance without an allow-list offers none, so that no user can mint a scope the app never meant.
   */
  grantableScopes?: (userId: string, request: Req) => readonly ScopeInfo[] | Promise<readonly ScopeInfo[]>
  /** The cross-site defence of unsafe requests, as `patAuth({ csrf })`; `false` turns it off. */
  csrf?: CrossSiteOptions | false
  /** The largest request body read, in bytes (default 16384); a larger one is 413. */
  maxBodyBytes?: number
  /** Seconds for `Retry-After` when the store cannot answer (default 5). */
  retryAfter?: number
  /**
   * The token settings page at `GET /` (with `GET /assets/page.css|page.js`), served under a strict
   * Content-Security-Policy; `false` leaves it out. Default: on.
   */
  page?: boolean | SettingsPageOptions
}

/** A request as an adapter describes it, for one call of `handle`. */
export type TokenRouteRequest<Req = unknown> = {
  readonly method: string
  /** The path below where the routes are mounted (`/tokens/abc`), without the query. */
  readonly path: string
  /**
   * The path as the client sent it (`/settings/`), without the query: the page's links are built
   * from it. Without it they are relative, right only when the mount is addressed with a final `/`.
   */
  readonly fullPath?: string
  /** The query string, with or without its `?`. */
  readonly query: string
  /** A request header by lower-case name. */
  header(name: string): string | null | undefined
  /** The request's own host (and port), for the Origin check of older browsers. */
  readonly host: string | null | undefined
  /** The principal a `patAuth()` in front attached, if any. */
  readonly principal: Principal | null | undefined
  /**
   * The client's address, by the adapter's rules for `patAuth()` (Express `req.ip`, Koa `ctx.ip`):
   * the actor's `address` in the events and the audit log. Absent or null when not known.
   */
  readonly client?: string | null | undefined
  /** The framework's request, passed to the hooks. */
  readonly request: Req
  /** Reads the body, at most `maxBytes` (called only for POST and PATCH with a JSON media type). */
  readBody(maxBytes: number): Promise<RouteBody>
}

export type TokenRoutes<Req = unknown> = {
  /** The answer, or null when the request is not for one of these routes. */
  handle(request: TokenRouteRequest<Req>): Promise<TokenRouteResponse | null>
}
