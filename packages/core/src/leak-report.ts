import { KeywardError } from './errors.js'
import { requireText } from './input.js'
import type { Keyward, TokenRecord } from './keyward-types.js'
import { assertKnownKeys } from './option-checks.js'
import { parseToken, type TokenRejection } from './token-format.js'

/**
 * What happens to a token someone reports as leaked (GitHub's secret scanning, an operator): the
 * one decision, taken here for every reporter. A report is never trusted on the token's shape
 * alone: the secret must verify against the stored hash before anything is revoked, so that a
 * forged token carrying a real id (ids are not secret) cannot revoke someone else's token.
 */

/** The revocation reason (`TokenRecord.revokedReason`) of a token revoked because it leaked. */
export const LEAKED_REASON = 'leaked'

/**
 * The outcome for one reported token:
 * - `revoked`: a real token of this instance, revoked now by this report (it was active, or
 *   expired and is now marked leaked as well);
 * - `already_revoked`: a real token that was revoked before (for any reason), left as it was;
 * - `unknown`: the format and checksum of this instance, but no stored token has this id and
 *   secret (a forged or made-up token, or one from another deployment with the same prefix);
 * - `not_ours`: not a token of this instance at all (another prefix, a bad checksum, junk), known
 *   without reading the store.
 * `revoked` and `already_revoked` are real tokens (true positives); the others are not.
 */
export type LeakVerdict =
  | { readonly outcome: 'revoked'; readonly tokenId: string; readonly record: TokenRecord }
  | { readonly outcome: 'already_revoked'; readonly tokenId: string; readonly record: TokenRecord }
  | { readonly outcome: 'unknown'; readonly tokenId: string }
  | { readonly outcome: 'not_ours'; readonly reason: TokenRejection }

/** True for a real token of this instance (revoked now or before): a true positive. */
export function isRealToken(verdict: LeakVerdict): boolean {
  return verdict.outcome === 'revoked' || verdict.outcome === 'already_revoked'
}

export type LeakReportOptions = {
  /** Kept with the record as `revokedReason` (an operator's words, such as "pasted in a public issue"). Default `'leaked'`. */
  reason?: string
}

const OPTIONS: ReadonlySet<string> = new Set(['reason'])

function requireReason(options: unknown): string {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError('invalid_argument', 'revokeLeakedToken() options must be an object { reason? }.')
  }
  assertKnownKeys(
    options,
    OPTIONS,
    (key) => `Unknown revokeLeakedToken() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  const { reason } = options as LeakReportOptions
  return reason === undefined ? LEAKED_REASON : requireText(reason, 'reason')
}

/**
 * Decides one reported token and revokes it (reason `'leaked'`, or `options.reason`) when it is a
 * real token not yet revoked. Every leak reporter goes through here (GitHub's secret scanning,
 * `keyward tokens revoke --stdin`); this is the one place that learns a token was revoked because
 * it leaked, so whatever must follow such a revocation belongs here, after it. Throws
 * `invalid_argument` for bad options (before any read), otherwise only what `kw.tokens` throws
 * (`store_error`, `closed`, `invalidation_unconfirmed`).
 */
export async function revokeLeakedToken(
  kw: Keyward,
  token: string,
  options: LeakReportOptions = {},
): Promise<LeakVerdict> {
  const reason = requireReason(options)
  const parsed = parseToken(token, kw.tokenPrefix)
  if (!parsed.ok) return Object.freeze({ outcome: 'not_ours', reason: parsed.reason })
  const tokenId = parsed.token.id
  const found = await kw.tokens.identify(token)
  if (found === null) return Object.freeze({ outcome: 'unknown', tokenId })
  if (found.status === 'revoked') return Object.freeze({ outcome: 'already_revoked', tokenId, record: found })
  const record = await kw.tokens.revoke(tokenId, { reason })
  // Gone between the two calls: there is no token left to speak of.
  if (record === null) return Object.freeze({ outcome: 'unknown', tokenId })
  // The store keeps the first revocation: one that came in between (another report, the owner) wins.
  if (record.revokedReason !== reason || record.revokedAt === null) {
    return Object.freeze({ outcome: 'already_revoked', tokenId, record })
  }
  return Object.freeze({ outcome: 'revoked', tokenId, record })
}

/**
 * `revokeLeakedToken` for each distinct token of a report, in order, one at a time (each real one
 * costs a hash verification): one verdict per distinct token, keyed by the token.
 */
export async function revokeLeakedTokens(
  kw: Keyward,
  tokens: Iterable<string>,
): Promise<ReadonlyMap<string, LeakVerdict>> {
  const verdicts = new Map<string, LeakVerdict>()
  for (const token of tokens) {
    if (!verdicts.has(token)) verdicts.set(token, await revokeLeakedToken(kw, token))
  }
  return verdicts
}
