import { IncomingMessage } from 'node:http'
import {
  authorizationFromRawHeaders,
  createGuard,
  createScopeCheck,
  definePrincipalAccessor,
  type GuardOptions,
  type GuardResult,
  type HttpFailure,
  type Keyward,
  type Principal,
  type RequestReaders,
  type RequiredScope,
  realmOf,
  rememberRealm,
  storePrincipal,
} from '@keyward/core'
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'

export type { Principal } from '@keyward/core'

declare global {
  namespace Express {
    interface Request {
      /** Set by `patAuth()`; absent only behind `patAuth({ optional: true })` without credentials. */
      principal?: Principal | undefined
    }
  }
}

/** `appSession` is called with Express's `req` (`req.session`, passport's `req.user`). */
export type PatAuthOptions = GuardOptions<Request> & {
  /** Answer authentication failures yourself; send nothing to have Keyward's own answer sent. */
  onError?: (failure: HttpFailure, req: Request, res: Response) => void | Promise<void>
}

const readers: RequestReaders<Request> = {
  cookie: (req) => req.headers.cookie,
  // req.ip honours the app's `trust proxy`; a request Express has not set up has only its socket.
  client: (req) => req.ip ?? req.socket?.remoteAddress,
  method: (req) => req.method,
  header: (req, name) => req.headers[name] as string | undefined,
  host: (req) => req.headers.host,
}

function respond(res: Response, failure: HttpFailure): void {
  res.status(failure.status).set(failure.headers).end(failure.body)
}

/**
 * `req.principal` is an accessor on Express's base request prototype (core's
 * `definePrincipalAccessor`). Its value lives in the request's `res.locals`, a dictionary Express
 * creates for each request, or on the request itself for one Express has not set up: a property
 * added to the request itself would cost it a hidden class of its own (see docs/benchmark-findings.md).
 */
type Slots = Record<symbol, unknown>
/** Where a request's principal and realm are kept: its `res.locals`, else the request itself. */
const slotsOf = (request: object): Slots => {
  const locals: unknown = (request as { res?: { locals?: unknown } }).res?.locals
  return typeof locals === 'object' && locals !== null ? (locals as Slots) : (request as Slots)
}
const defineAccessor = (base: object) => definePrincipalAccessor(base, slotsOf)
/**
 * The accessor also goes on the base request of whichever Express built a request (the prototype
 * with Express's methods just above Node's IncomingMessage): the app's Express can be another copy
 * than the one this package imports (two versions in one tree, a linked package), and its requests
 * never reach ours. Checked once per request prototype, once the accessor is in place.
 */
const prototypesSeen = new WeakSet<object>()
function reachAccessor(request: object): void {
  const prototype: object | null = Object.getPrototypeOf(request)
  if (prototype === null || prototypesSeen.has(prototype)) return
  for (let p: object | null = prototype; p !== null; p = Object.getPrototypeOf(p)) {
    if (
      Object.getPrototypeOf(p) === IncomingMessage.prototype &&
      typeof (p as { accepts?: unknown }).accepts === 'function'
    ) {
      defineAccessor(p)
      break
    }
  }
  prototypesSeen.add(prototype)
}

/** Authenticates `Authorization: Bearer …` (a personal access token or a session token; a session cookie with `sessionCookie`) and sets `req.principal`. */
export function patAuth(keywardOrOptions?: Keyward | PatAuthOptions): RequestHandler {
  const guard = createGuard(keywardOrOptions)
  if (express.request !== undefined) defineAccessor(express.request)
  const onError = (keywardOrOptions as PatAuthOptions | undefined)?.onError
  const refuse = async (failure: HttpFailure, req: Request, res: Response) => {
    await onError?.(failure, req, res)
    if (!res.headersSent) respond(res, failure)
  }
  // Synchronous on success, so a cache hit reaches the route without a promise in between.
  const settle = (result: GuardResult, req: Request, res: Response, next: NextFunction): void => {
    if (!result.ok) {
      // Errors (from onError, say) go to Express's error handling, not to an unhandled rejection.
      refuse(result.failure, req, res).catch(next)
      return
    }
    // The realm beside the principal, not on the request, for the reason given above slotsOf.
    const slots = slotsOf(req)
    rememberRealm(slots, guard.realm)
    // The accessor's setter, called directly rather than looked up through the request's prototypes.
    if (result.principal) storePrincipal(slots, result.principal)
    next()
  }
  return function keywardPatAuth(req: Request, res: Response, next: NextFunction) {
    reachAccessor(req)
    // rawHeaders, because req.headers keeps only the first of two Authorization lines.
    const answer = guard.authenticate(authorizationFromRawHeaders(req.rawHeaders), req.url, req, readers)
    if (answer instanceof Promise) answer.then((result) => settle(result, req, res, next)).catch(next)
    else settle(answer, req, res, next)
  }
}

function scopeGuard(
  scopes: string[],
  mode: 'all' | 'any',
  name: 'requireScope' | 'requireAnyScope',
): RequestHandler {
  const check = createScopeCheck(scopes, mode, name)
  return function keywardRequireScope(req, res, next) {
    const failure = check(req.principal, realmOf(slotsOf(req)))
    if (failure) respond(res, failure)
    else next()
  }
}

/**
 * 403 unless the principal holds every scope (401 when there is no principal). With a registered
 * scope registry (see `Register` in @keyward/core) it takes only declared names.
 */
export function requireScope(...scopes: RequiredScope[]): RequestHandler {
  return scopeGuard(scopes, 'all', 'requireScope')
}

/** 403 unless the principal holds at least one of the scopes. */
export function requireAnyScope(...scopes: RequiredScope[]): RequestHandler {
  return scopeGuard(scopes, 'any', 'requireAnyScope')
}
export { type SecretScanningOptions, secretScanning } from './secret-scanning.js'
export { type TokenRoutesOptions, tokenRoutes } from './token-routes.js'
