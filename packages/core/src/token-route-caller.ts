import { fitForActor, type KnownActor, MAX_ADDRESS, MAX_USER_AGENT } from './actor.js'
import { toLifetime } from './duration.js'
import type { ScopeInfo, TokenRecord } from './keyward-types.js'
import type { TokenLifetime } from './lifetime.js'
import type { Principal } from './principal.js'
import { grantCovers, hasScope } from './scopes.js'
import type { CreateInput } from './token-route-input.js'

/**
 * Who calls the token routes, and the bounds that follow from it. A PAT let in by `patScope` must
 * not breed a stronger or longer-lived token: what it creates or renews stays within its own scopes,
 * never holds `patScope`, and ends no later than it does. Pure functions.
 */

/** The app's signed-in user; `token` is the PAT principal when a PAT (with `patScope`) calls. */
export type RouteCaller = { readonly userId: string; readonly token: Principal | null }

/**
 * The actor of a call through the routes: the signed-in user, or the PAT that called (its id), with
 * the request's client address and User-Agent, each fitted to what an actor holds (a client's odd
 * header never fails the call).
 */
export function routeActor(
  caller: RouteCaller,
  request: { client?: string | null | undefined; userAgent: string | null | undefined },
): KnownActor {
  const token = caller.token
  return Object.freeze({
    kind: token === null ? 'user' : 'token',
    id: token === null ? caller.userId : (token.tokenId ?? null),
    address: fitForActor(request.client, MAX_ADDRESS),
    userAgent: fitForActor(request.userAgent, MAX_USER_AGENT),
  })
}

/** What this caller may grant: for a PAT, only what its own scopes cover, never what covers `patScope`. */
export function callerScopes(
  scopes: readonly ScopeInfo[],
  caller: RouteCaller,
  patScope: string | undefined,
): readonly ScopeInfo[] {
  const token = caller.token
  if (token === null) return scopes
  return scopes.filter(
    (scope) =>
      hasScope(token.scopes, scope.name) && !(patScope !== undefined && grantCovers(scope.name, patScope)),
  )
}

/** The milliseconds a create asks for: its `expiresIn`, else the policy's default; Infinity for never. */
function requestedLifetime(input: CreateInput, lifetime: TokenLifetime): number {
  const asked = input.expiresIn === undefined ? lifetime.defaultExpiresIn : input.expiresIn
  return asked === null ? Number.POSITIVE_INFINITY : toLifetime(asked, 'expiresIn')
}

/** A create by a PAT ends no later than the PAT: past it, the new token gets the PAT's own expiry. */
export function boundedCreate(
  input: CreateInput,
  caller: RouteCaller,
  lifetime: TokenLifetime,
  now: number,
): CreateInput | (Omit<CreateInput, 'expiresIn'> & { expiresAt: Date }) {
  const end = caller.token?.expiresAt ?? null
  if (end === null || now + requestedLifetime(input, lifetime) <= end.getTime()) return input
  const { expiresIn: _asked, ...rest } = input
  return { ...rest, expiresAt: end }
}

/**
 * Why this caller may not rotate the token, or null. Rotating hands out a new secret with the
 * token's scopes, so those must all be grantable now (the app may have taken one away); a PAT
 * may also not renew a token past its own expiry.
 */
export function rotationRefusal(
  record: TokenRecord,
  grantable: readonly ScopeInfo[],
  caller: RouteCaller,
  now: number,
): string | null {
  const names = new Set(grantable.map((scope) => scope.name))
  const lost = record.scopes.filter((scope) => !names.has(scope))
  if (lost.length > 0) {
    return `This token holds scopes you may not grant (${lost.join(', ')}): create a new token instead.`
  }
  const end = caller.token?.expiresAt ?? null
  if (end === null) return null
  const renewed =
    record.expiresAt === null ? null : now + (record.expiresAt.getTime() - record.createdAt.getTime())
  if (renewed === null || renewed > end.getTime()) {
    return 'A token cannot renew another past its own expiry: sign in to the app to rotate it.'
  }
  return null
}
