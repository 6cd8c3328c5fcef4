import { isIPv4, isIPv6 } from 'node:net'
import { KeywardError } from './errors.js'
import { assertKnownKeys } from './option-checks.js'

const AUTHENTICATE_OPTIONS: ReadonlySet<string> = new Set(['client'])

/**
 * Reads the address of the client that sent a request: what the wrong-secret throttle keys on, so
 * that one client's guesses cannot lock another out. Called only on a cache miss, never on a hit.
 * An adapter shares one reader among all requests (it takes the request), so that a request
 * allocates nothing to pass it; it should honour the app's proxy-trust setting (Express `req.ip`,
 * Koa `ctx.ip`). Nothing (`undefined`, `null`, `''`) when the address is not known.
 */
export type ClientReader<Req> = (request: Req) => string | null | undefined

/** The second argument of `authenticate()`. */
export type AuthenticateOptions = {
  /** The address of the client that sent the request, honouring your proxy setup. */
  client?: string
}

export function assertAuthenticateOptions(options: unknown): asserts options is AuthenticateOptions {
  if (typeof options !== 'object' || options === null)
    throw new KeywardError('invalid_argument', 'authenticate(): options must be an object.')
  assertKnownKeys(
    options,
    AUTHENTICATE_OPTIONS,
    (key) => `authenticate(): unknown option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { client } = options as AuthenticateOptions
  if (client !== undefined && typeof client !== 'string')
    throw new KeywardError('invalid_argument', 'authenticate(): `client` must be a string (an address).')
}

/** The `ClientReader` of `authenticate()`'s options: shared, so that a call allocates no reader. */
export const clientOfOptions: ClientReader<AuthenticateOptions> = (options) => options.client

/** Longer values (from an app's own reader) are cut: the key must stay small. */
const MAX_CLIENT_LENGTH = 64

function ipv6Network(address: string): string {
  const zone = address.indexOf('%')
  const bare = (zone === -1 ? address : address.slice(0, zone)).toLowerCase()
  const tail = bare.slice(bare.lastIndexOf(':') + 1)
  const mapped = bare.startsWith('::ffff:') && isIPv4(tail)
  if (mapped) return tail
  const [head = '', rest] = bare.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = rest === undefined || rest === '' ? [] : rest.split(':')
  // An embedded IPv4 tail counts as two groups; only the first four groups matter here anyway.
  const width = right.reduce((n, group) => n + (group.includes('.') ? 2 : 1), 0)
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - width).fill('0'), ...right]
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/**
 * The throttle's key for a client address: IPv4 as it is (an IPv4-mapped IPv6 address as IPv4),
 * IPv6 by its /64 network, since one host commonly holds a whole /64 and could otherwise take a
 * fresh address for each guess. Anything else (an app's own client id) as it is, cut to 64
 * characters. Undefined for no address.
 */
export function clientKey(address: string | null | undefined): string | undefined {
  if (typeof address !== 'string' || address.length === 0) return undefined
  if (isIPv4(address)) return address
  if (isIPv6(address)) return ipv6Network(address)
  return address.slice(0, MAX_CLIENT_LENGTH)
}
