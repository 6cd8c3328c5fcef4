import { type CrossSiteCheck, createCrossSiteCheck } from './cross-site.js'
import { KeywardError } from './errors.js'
import type { Keyward } from './keyward-types.js'
import { assertKnownKeys, integerOption } from './option-checks.js'
import { assertScopeSyntax } from './scopes.js'
import { createTokenPage, type TokenPage } from './token-page.js'
import type { TokenRoutesOptions } from './token-route-types.js'

const OPTIONS: ReadonlySet<string> = new Set([
  'keyward',
  'user',
  'patScope',
  'reauthenticate',
  'grantableScopes',
  'csrf',
  'maxBodyBytes',
  'retryAfter',
  'page',
])
function isKeyward(value: unknown): value is Keyward {
  return typeof value === 'object' && value !== null && typeof (value as Keyward).tokens === 'object'
}

export function misuse(message: string): KeywardError {
  return new KeywardError('invalid_option', `tokenRoutes(): ${message}`)
}

function checkHook(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw misuse(`\`${name}\` must be a function.`)
}

/** The options of `tokenRoutes()`, validated once when the adapter calls it, and what they make. */
export function readTokenRoutesOptions<Req>(arg?: Keyward | TokenRoutesOptions<Req>): {
  options: TokenRoutesOptions<Req>
  maxBodyBytes: number
  retryAfter: number
  crossSite: CrossSiteCheck | null
  page: TokenPage | null
} {
  const options: TokenRoutesOptions<Req> = isKeyward(arg) ? { keyward: arg } : (arg ?? {})
  if (typeof options !== 'object' || options === null) {
    throw misuse('takes a Keyward instance or an options object.')
  }
  assertKnownKeys(options, OPTIONS, (key) => `tokenRoutes(): unknown option ${JSON.stringify(key)}`)
  if (options.keyward !== undefined && !isKeyward(options.keyward)) {
    throw misuse('`keyward` must be an instance from createKeyward().')
  }
  for (const hook of ['user', 'reauthenticate', 'grantableScopes'] as const) checkHook(options[hook], hook)
  if (options.patScope !== undefined) assertScopeSyntax(options.patScope)
  const maxBodyBytes = integerOption(options.maxBodyBytes ?? 16_384, 'tokenRoutes(): maxBodyBytes')
  const retryAfter = integerOption(options.retryAfter ?? 5, 'tokenRoutes(): retryAfter', 0)
  const crossSite = createCrossSiteCheck(options.csrf)
  const page = createTokenPage(options.page)
  return { options, maxBodyBytes, retryAfter, crossSite, page }
}
