import type { Principal } from './principal.js'

/**
 * What an adapter keeps per request: the realm its patAuth used and, for Express, the principal.
 * Both live on an object that lives exactly as long as the request (Hono's context, Koa's, Express's
 * `res.locals`) under a registered symbol, so that two copies of the packages in one process agree.
 * A property under a symbol rather than a WeakMap entry: an entry per request costs the garbage
 * collector an ephemeron each (see docs/benchmark-findings.md). A frozen or sealed object falls back to a
 * WeakMap for the realm.
 */

const REALM_SLOT = Symbol.for('keyward.realm')
type RealmSlot = { [REALM_SLOT]?: string }
const realmsOffRequest = new WeakMap<object, string>()

/** Remembers the realm patAuth used for a request, so that a later scope failure can name it. */
export function rememberRealm(request: object, realm: string): void {
  if (realm === 'api') return
  if (Object.isExtensible(request)) (request as RealmSlot)[REALM_SLOT] = realm
  else realmsOffRequest.set(request, realm)
}

export function realmOf(request: object): string {
  return (request as RealmSlot)[REALM_SLOT] ?? realmsOffRequest.get(request) ?? 'api'
}

const PRINCIPAL_SLOT = Symbol.for('keyward.principal')
type PrincipalSlot = { [PRINCIPAL_SLOT]?: unknown }

/** Keeps the request's principal in `slots`; `undefined` removes it. */
export function storePrincipal(slots: object, value: unknown): void {
  if (value === undefined) delete (slots as PrincipalSlot)[PRINCIPAL_SLOT]
  else (slots as PrincipalSlot)[PRINCIPAL_SLOT] = value
}

/**
 * Defines `principal` on `base` (a request prototype) as an accessor over the slots `slotsOf` finds
 * for each request, unless `base` has one already. Reading and assigning work as on a plain
 * property; assigning `undefined` removes it (`delete` cannot reach an inherited accessor).
 */
export function definePrincipalAccessor(base: object, slotsOf: (request: object) => object): void {
  if (Object.getOwnPropertyDescriptor(base, 'principal') !== undefined) return
  Object.defineProperty(base, 'principal', {
    configurable: true,
    get(this: object): Principal | undefined {
      return (slotsOf(this) as PrincipalSlot)[PRINCIPAL_SLOT] as Principal | undefined
    },
    set(this: object, value: unknown) {
      storePrincipal(slotsOf(this), value)
    },
  })
}
