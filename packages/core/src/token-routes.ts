import type { CrossSiteReaders } from './cross-site.js'
import { defaultKeyward } from './http.js'
import { isUserId } from './input.js'
import type { Keyward, ScopeInfo, TokenRecord } from './keyward-types.js'
import { hasScope } from './scopes.js'
import {
  answerForError,
  auditEntryJSON,
  errorAnswer,
  jsonAnswer,
  type TokenRouteResponse,
  tokenJSON,
} from './token-route-answers.js'
import {
  boundedCreate,
  callerScopes,
  type RouteCaller,
  rotationRefusal,
  routeActor,
} from './token-route-caller.js'
import {
  auditInput,
  bodyValue,
  changesInput,
  createInput,
  isJsonMediaType,
  pageInput,
  rotateInput,
} from './token-route-input.js'
import { misuse, readTokenRoutesOptions } from './token-route-options.js'
import { type Action, routeOf, TOKEN_ID } from './token-route-paths.js'
import type { TokenRouteRequest, TokenRoutes, TokenRoutesOptions } from './token-route-types.js'

export type { SettingsPageOptions } from './token-page.js'
export { PAGE_CSP } from './token-page.js'
export type {
  AuditEntryJSON,
  TokenJSON,
  TokenRouteErrorCode,
  TokenRouteResponse,
} from './token-route-answers.js'
export type { RouteBody } from './token-route-input.js'
export { assertMountPrefix, pathBelow, routeOf } from './token-route-paths.js'

export type { RouteUser, TokenRouteRequest, TokenRoutes, TokenRoutesOptions } from './token-route-types.js'

const UNSAFE_BODIES: ReadonlySet<Action> = new Set(['create', 'update', 'rotate'])
const CROSS_SITE_READERS: CrossSiteReaders<TokenRouteRequest<unknown>> = {
  method: (request) => request.method,
  header: (request, name) => request.header(name),
  host: (request) => request.host,
}

/** Validates the options once, when the adapter's `tokenRoutes()` is called. */
export function createTokenRoutes<Req = unknown>(arg?: Keyward | TokenRoutesOptions<Req>): TokenRoutes<Req> {
  const { options, maxBodyBytes, retryAfter, crossSite, page } = readTokenRoutesOptions(arg)
  const { user, patScope, reauthenticate, grantableScopes } = options
  let keyward: Keyward | null = options.keyward ?? null

  /** The signed-in user, or the refusal: no one, or a PAT without `patScope`. */
  const callerOf = async (request: TokenRouteRequest<Req>): Promise<RouteCaller | TokenRouteResponse> => {
    const signedIn = user === undefined ? null : await user(request.request)
    if (signedIn !== null && signedIn !== undefined) {
      // A bad value is the app's bug, answered 500 by the framework, never a client's 400.
      if (typeof signedIn !== 'object' || !isUserId(signedIn.userId)) {
        throw misuse('`user` must return { userId } (a non-empty string) or null for no one.')
      }
      return { userId: signedIn.userId, token: null }
    }
    const principal = request.principal
    if (!principal) return errorAnswer('unauthenticated', 'Sign in to manage your tokens.')
    if (principal.kind === 'pat' && !(patScope !== undefined && hasScope(principal.scopes, patScope))) {
      return errorAnswer(
        'pat_not_allowed',
        'A personal access token cannot manage tokens: sign in to the app instead.',
      )
    }
    return { userId: principal.userId, token: principal.kind === 'pat' ? principal : null }
  }

  const grantable = async (caller: RouteCaller, request: Req): Promise<readonly ScopeInfo[]> => {
    const scopes =
      grantableScopes === undefined
        ? (keyward as Keyward).scopes
        : await grantableScopes(caller.userId, request)
    if (!Array.isArray(scopes) || scopes.some((scope) => typeof scope?.name !== 'string')) {
      throw misuse('`grantableScopes` must return an array of { name, description }.')
    }
    return callerScopes(scopes, caller, patScope)
  }

  const reauthenticated = async (request: Req, action: 'create' | 'rotate'): Promise<boolean> => {
    if (reauthenticate === undefined) return true
    const fresh: unknown = await reauthenticate(request, action)
    if (typeof fresh !== 'boolean') throw misuse('`reauthenticate` must return true or false.')
    return fresh
  }
  const reauthenticationRequired = (action: string) =>
    errorAnswer('reauthentication_required', `Sign in again to ${action} a token.`)

  const perform = async (
    kw: Keyward,
    route: { action: Action; id: string | null },
    caller: RouteCaller,
    request: TokenRouteRequest<Req>,
    body: unknown,
  ): Promise<TokenRouteResponse> => {
    const { userId } = caller
    const actor = routeActor(caller, { client: request.client, userAgent: request.header('user-agent') })
    const owner = { userId }
    const acting = { userId, actor }
    const id = route.id ?? ''
    const found = (record: TokenRecord | null) =>
      record === null ? errorAnswer('not_found', 'No such token.') : jsonAnswer(200, tokenJSON(record))
    switch (route.action) {
      case 'scopes':
        return jsonAnswer(200, {
          scopes: await grantable(caller, request.request),
          lifetime: kw.tokenLifetime,
        })
      case 'list': {
        const page = await kw.tokens.page(userId, pageInput(new URLSearchParams(request.query)))
        return jsonAnswer(200, { tokens: page.tokens.map(tokenJSON), nextCursor: page.nextCursor })
      }
      case 'read':
        return found(await kw.tokens.get(id, owner))
      case 'revoke':
        return found(await kw.tokens.revoke(id, acting))
      case 'update':
        return found(await kw.tokens.update(id, changesInput(body), acting))
      case 'audit': {
        const page = await kw.audit.page({ ...auditInput(new URLSearchParams(request.query)), userId })
        return jsonAnswer(200, {
          entries: page.entries.map((entry) => auditEntryJSON(entry, userId)),
          nextCursor: page.nextCursor,
        })
      }
      case 'create': {
        const names = new Set((await grantable(caller, request.request)).map((scope) => scope.name))
        const input = boundedCreate(createInput(body, names), caller, kw.tokenLifetime, Date.now())
        if (!(await reauthenticated(request.request, 'create'))) return reauthenticationRequired('create')
        const created = await kw.tokens.create({ userId, ...input, actor })
        return jsonAnswer(201, { token: created.token, record: tokenJSON(created.record) })
      }
      case 'rotate': {
        const input = rotateInput(body)
        const current = await kw.tokens.get(id, owner)
        if (current === null) return errorAnswer('not_found', 'No such token.')
        const refusal = rotationRefusal(current, await grantable(caller, request.request), caller, Date.now())
        if (refusal !== null) return errorAnswer('invalid_argument', refusal)
        if (!(await reauthenticated(request.request, 'rotate'))) return reauthenticationRequired('rotate')
        const rotated = await kw.tokens.rotate(id, { ...input, ...acting })
        return jsonAnswer(201, {
          token: rotated.token,
          record: tokenJSON(rotated.record),
          previous: tokenJSON(rotated.previous),
        })
      }
    }
  }

  return {
    async handle(request) {
      // The page is static and holds no one's data: it asks the routes, which check the user.
      const pageAnswer = page?.serve(request.method, request.path, request.fullPath)
      if (pageAnswer) return pageAnswer
      const route = routeOf(request.method, request.path)
      if (route === null) return null
      if ('allow' in route) {
        return errorAnswer('method_not_allowed', `Allowed: ${route.allow}.`, { Allow: route.allow })
      }
      keyward ??= defaultKeyward()
      const kw = keyward
      try {
        // First: behind patAuth({ optional: true }), a cross-site request arrives with no principal.
        if (crossSite?.(request, CROSS_SITE_READERS as CrossSiteReaders<unknown>)) {
          return errorAnswer(
            'cross_site_request',
            'A request from another site cannot manage tokens. Send it from this site.',
          )
        }
        const caller = await callerOf(request)
        if (!('userId' in caller)) return caller
        // Someone else's token and no token at all are the same answer, without a store read.
        if (route.id !== null && !TOKEN_ID.test(route.id)) return errorAnswer('not_found', 'No such token.')
        let body: unknown
        if (UNSAFE_BODIES.has(route.action)) {
          if (!isJsonMediaType(request.header('content-type'))) {
            return errorAnswer('unsupported_media_type', 'Send a JSON body (Content-Type: application/json).')
          }
          const read = await request.readBody(maxBodyBytes)
          if (read.kind === 'too_large') {
            return errorAnswer('payload_too_large', `The body must be at most ${maxBodyBytes} bytes.`)
          }
          body = bodyValue(read)
        }
        return await perform(kw, route, caller, request, body)
      } catch (error) {
        const answer = answerForError(error, retryAfter)
        if (answer === null) throw error
        return answer
      }
    },
  }
}
