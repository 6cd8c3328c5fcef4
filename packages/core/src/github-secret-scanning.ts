import { createHash } from 'node:crypto'
import type { Actor } from './actor.js'
import { isKeywardError, KeywardError, type KeywardErrorCode } from './errors.js'
import { checkSignature, type GitHubPublicKeys, signingKeys } from './github-public-keys.js'
import { defaultKeyward } from './http.js'
import type { Keyward } from './keyward-types.js'
import { isRealToken, type LeakVerdict, revokeLeakedTokens } from './leak-report.js'
import { assertKnownKeys, integerOption } from './option-checks.js'
import type { RawBody } from './route-bodies.js'
import { jsonAnswer, type TokenRouteResponse } from './token-route-answers.js'

export type { GitHubPublicKey, GitHubPublicKeys } from './github-public-keys.js'

/**
 * The endpoint of GitHub's secret scanning partner program: GitHub POSTs the tokens it found in
 * public places, signed with one of its keys; each real token of this instance is revoked (reason
 * `'leaked'`, see leak-report.ts) and the answer tells GitHub which were real. Framework-agnostic:
 * an adapter hands `handle` the request and copies `response` into its own.
 */

export type SecretScanningOptions = {
  /** Default: the one Keyward instance open in this process, as for `patAuth()`. */
  keyward?: Keyward
  /**
   * GitHub's signing keys: the document of https://api.github.com/meta/public_keys/secret_scanning
   * as the operator fetched it (or its `public_keys` array). Checked now: each must be a P-256 PEM.
   */
  publicKeys: GitHubPublicKeys
  /** The largest report read, in bytes (default 1 MiB); a larger one is 413, unread. */
  maxBodyBytes?: number
  /**
   * The most distinct tokens one report may carry (default 100; each real token costs a hash
   * verification). A token GitHub found in several places, one match each, counts once.
   */
  maxTokens?: number
  /** Seconds for `Retry-After` when the store cannot answer (default 5). */
  retryAfter?: number
}

/** A request as an adapter describes it. */
export type SecretScanningRequest = {
  readonly method: string
  /** A request header by lower-case name. */
  header(name: string): string | null | undefined
  /** The raw body, at most `maxBytes` (called once the signature headers name a configured key). */
  readBody(maxBytes: number): Promise<RawBody>
}

/** The stable error codes of this endpoint, in `{ error: { code, message } }`. */
export type SecretScanningErrorCode =
  | 'method_not_allowed'
  | 'signature_required'
  | 'unknown_key'
  | 'invalid_signature'
  | 'payload_too_large'
  | 'invalid_report'
  | 'unavailable'

/** What GitHub's feedback format takes: the token as its SHA-256 (hex), never the token itself. */
export type SecretScanningFeedback = {
  readonly token_hash: string
  readonly token_type: string
  readonly label: 'true_positive' | 'false_positive'
}

/** One distinct reported token: its SHA-256 (hex), the type GitHub gave it, and the verdict. */
export type ReportedToken = {
  readonly tokenHash: string
  readonly type: string
  readonly verdict: LeakVerdict
}

export type SecretScanningResult = {
  /** What to answer: 200 with the feedback array, or an error. */
  readonly response: TokenRouteResponse
  /** One per distinct token of a verified report, in order; empty when the report was refused. */
  readonly tokens: readonly ReportedToken[]
}

export type SecretScanningHandler = { handle(request: SecretScanningRequest): Promise<SecretScanningResult> }

const OPTIONS: ReadonlySet<string> = new Set([
  'keyward',
  'publicKeys',
  'maxBodyBytes',
  'maxTokens',
  'retryAfter',
])
const STATUS_OF: Readonly<Record<SecretScanningErrorCode, number>> = {
  method_not_allowed: 405,
  signature_required: 401,
  unknown_key: 401,
  invalid_signature: 401,
  payload_too_large: 413,
  invalid_report: 400,
  unavailable: 503,
}
const OUTAGES: ReadonlySet<KeywardErrorCode> = new Set(['store_error', 'closed', 'invalidation_unconfirmed'])
const KEY_HEADER = 'github-public-key-identifier'
const SIGNATURE_HEADER = 'github-public-key-signature'

function refused(code: SecretScanningErrorCode, message: string, headers: Record<string, string> = {}) {
  return { response: jsonAnswer(STATUS_OF[code], { error: { code, message } }, headers), tokens: [] }
}

function misuse(message: string): KeywardError {
  return new KeywardError('invalid_option', `secretScanning(): ${message}`)
}

type Match = { token: string; type: string; url?: string; source?: string }

/** The report's matches, or the reason it is not a report. Only `token`, `type`, `url` and `source` are read. */
function matchesOf(text: string): Match[] | string {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'The body is not valid JSON.'
  }
  if (!Array.isArray(value)) return 'The body must be a JSON array of matches.'
  const matches: Match[] = []
  for (const [index, entry] of value.entries()) {
    const { token, type, url, source } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >
    if (typeof token !== 'string' || typeof type !== 'string') {
      return `Match ${index} must be an object with string "token" and "type".`
    }
    matches.push({
      token,
      type,
      ...(typeof url === 'string' ? { url } : {}),
      ...(typeof source === 'string' ? { source } : {}),
    })
  }
  return matches
}

const ENDPOINT_PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/

/** For an adapter that matches the path itself (Koa): a path such as `/github/secret-scanning`. */
export function assertEndpointPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !ENDPOINT_PATH.test(path)) {
    throw misuse(
      `\`path\` must be a path such as '/github/secret-scanning' (no trailing slash); got ${JSON.stringify(path)}.`,
    )
  }
}

/** The actor of a revocation by GitHub's report, in the events and the audit log. */
const GITHUB_ACTOR = Object.freeze({ kind: 'system', id: 'github-secret-scanning' }) satisfies Actor

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex')

/** Validates the options once, when the adapter's `secretScanning()` is called. */
export function createSecretScanningHandler(options: SecretScanningOptions): SecretScanningHandler {
  if (typeof options !== 'object' || options === null) {
    throw misuse('takes an options object with `publicKeys`.')
  }
  assertKnownKeys(options, OPTIONS, (key) => `secretScanning(): unknown option ${JSON.stringify(key)}`)
  if (options.keyward !== undefined && typeof options.keyward?.tokens?.identify !== 'function') {
    throw misuse('`keyward` must be an instance from createKeyward().')
  }
  if (options.publicKeys === undefined) {
    throw misuse(
      '`publicKeys` is required: the document of https://api.github.com/meta/public_keys/secret_scanning.',
    )
  }
  const keys = signingKeys(options.publicKeys)
  const maxBodyBytes = integerOption(options.maxBodyBytes ?? 1_048_576, 'secretScanning(): maxBodyBytes')
  const maxTokens = integerOption(options.maxTokens ?? 100, 'secretScanning(): maxTokens')
  const retryAfter = integerOption(options.retryAfter ?? 5, 'secretScanning(): retryAfter', 0)
  let keyward: Keyward | null = options.keyward ?? null

  return {
    async handle(request) {
      if (request.method !== 'POST') {
        return refused('method_not_allowed', 'Allowed: POST.', { Allow: 'POST' })
      }
      const keyId = request.header(KEY_HEADER)
      const signature = request.header(SIGNATURE_HEADER)
      if (!keyId || !signature) {
        return refused(
          'signature_required',
          'Send GitHub-Public-Key-Identifier and GitHub-Public-Key-Signature.',
        )
      }
      // Before the body is read: a sender that names no configured key is refused unread.
      if (!keys.has(keyId)) {
        return refused('unknown_key', 'The GitHub-Public-Key-Identifier names no configured key.')
      }
      const body = await request.readBody(maxBodyBytes)
      if (body.kind === 'too_large') {
        return refused('payload_too_large', `The body must be at most ${maxBodyBytes} bytes.`)
      }
      if (body.kind === 'consumed') {
        // The app's set-up, not the sender's doing: the framework answers 500 and the operator sees why.
        throw misuse(
          'a body parser in front already parsed the report, whose raw bytes the signature covers. ' +
            'Mount secretScanning() before it (or use express.raw() on its path).',
        )
      }
      if (checkSignature(keys, keyId, signature, body.bytes) !== 'valid') {
        return refused('invalid_signature', 'The signature does not verify over this body.')
      }
      const matches = matchesOf(body.bytes.toString('utf8'))
      if (typeof matches === 'string') return refused('invalid_report', matches)
      // The first match of each token says what GitHub knows of it. A token found in many places
      // comes once per place, and costs one verification: the bound is on distinct tokens.
      const matchOf = new Map<string, Match>()
      for (const match of matches) if (!matchOf.has(match.token)) matchOf.set(match.token, match)
      if (matchOf.size > maxTokens) {
        return refused(
          'payload_too_large',
          `A report may carry at most ${maxTokens} distinct tokens; got ${matchOf.size}.`,
        )
      }
      keyward ??= defaultKeyward()
      let verdicts: ReadonlyMap<string, LeakVerdict>
      try {
        verdicts = await revokeLeakedTokens(keyward, matchOf.keys(), {
          actor: GITHUB_ACTOR,
          reportOf: (token) => {
            const { type, url, source } = matchOf.get(token) as Match
            return {
              reporter: 'github',
              type,
              ...(url === undefined ? {} : { url }),
              ...(source === undefined ? {} : { source }),
            }
          },
        })
      } catch (error) {
        if (!isKeywardError(error) || !OUTAGES.has(error.code)) throw error
        // Revocations made before the outage stand; GitHub's retry finds them already revoked.
        return refused('unavailable', 'Leak reports cannot be processed right now. Retry later.', {
          'Retry-After': String(retryAfter),
        })
      }
      const tokens: ReportedToken[] = []
      for (const [token, verdict] of verdicts) {
        tokens.push(
          Object.freeze({ tokenHash: sha256(token), type: (matchOf.get(token) as Match).type, verdict }),
        )
      }
      const feedback: SecretScanningFeedback[] = tokens.map(({ tokenHash, type, verdict }) => ({
        token_hash: tokenHash,
        token_type: type,
        label: isRealToken(verdict) ? 'true_positive' : 'false_positive',
      }))
      return { response: jsonAnswer(200, feedback), tokens: Object.freeze(tokens) }
    },
  }
}
