import { type Actor, fitForActor, requireActor } from './actor.js'
import { isKeywardError, KeywardError } from './errors.js'
import { announceThrough, eventOf, type LeakReport } from './events.js'
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

/** Who reported a leak and what they said of it; every field optional, each cut to a bound. */
export type LeakReportInput = {
  /** The reporter, such as `'github'`. Default `'operator'`. */
  reporter?: string
  /** The reporter's type for the token (GitHub's `type`). */
  type?: string
  /** Where the token was found, if public (GitHub's `url`). */
  url?: string
  /** What kind of place that is (GitHub's `source`: `content`, `commit`, …). */
  source?: string
}

export type LeakOptions = {
  /** Who acts on the report, for the events and the audit log. Default `{ kind: 'system' }`. */
  actor?: Actor
  report?: LeakReportInput
  /** Kept with the record as `revokedReason` (an operator's words, such as "pasted in a public issue"). Default `'leaked'`. */
  reason?: string
}

const SYSTEM_ACTOR: Actor = { kind: 'system' }

function reportOf(input: LeakReportInput | undefined): LeakReport {
  const field = (value: unknown, max: number) => (typeof value === 'string' ? fitForActor(value, max) : null)
  return Object.freeze({
    reporter: field(input?.reporter, 64) ?? 'operator',
    type: field(input?.type, 128),
    url: field(input?.url, 1000),
    source: field(input?.source, 64),
  })
}

const OPTIONS: ReadonlySet<string> = new Set(['actor', 'report', 'reason'])

function requireLeakOptions(options: unknown): LeakOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KeywardError(
      'invalid_argument',
      'revokeLeakedToken() options must be an object { actor?, report?, reason? }.',
    )
  }
  assertKnownKeys(
    options,
    OPTIONS,
    (key) => `Unknown revokeLeakedToken() option ${JSON.stringify(key)}`,
    'invalid_argument',
  )
  return options as LeakOptions
}

/**
 * Decides one reported token and revokes it (reason `'leaked'`, or `options.reason`) when it is a
 * real token not yet revoked. Every leak reporter goes through here (GitHub's secret scanning,
 * `keyward tokens revoke --stdin`); this is the one place that learns a token was revoked because
 * it leaked, so whatever must follow such a revocation belongs here, after it: the `token.leaked`
 * event (and its audit row), for every real token, revoked now or before, since its secret is
 * public either way. Throws `invalid_argument` for bad options or a bad actor (before any read),
 * otherwise only what `kw.tokens` throws (`store_error`, `closed`; `invalidation_unconfirmed` once
 * `token.leaked` is announced, the revocation being saved).
 */
export async function revokeLeakedToken(
  kw: Keyward,
  token: string,
  options: LeakOptions = {},
): Promise<LeakVerdict> {
  const { actor: givenActor, report, reason: givenReason } = requireLeakOptions(options)
  const actor = requireActor(givenActor ?? SYSTEM_ACTOR)
  const reason = givenReason === undefined ? LEAKED_REASON : requireText(givenReason, 'reason')
  const parsed = parseToken(token, kw.tokenPrefix)
  if (!parsed.ok) return Object.freeze({ outcome: 'not_ours', reason: parsed.reason })
  const tokenId = parsed.token.id
  const found = await kw.tokens.identify(token)
  if (found === null) return Object.freeze({ outcome: 'unknown', tokenId })
  const leaked = async (verdict: LeakVerdict & { record: TokenRecord }): Promise<LeakVerdict> => {
    const fields = {
      token: verdict.record,
      revokedNow: verdict.outcome === 'revoked',
      report: reportOf(report),
      actor,
    }
    await announceThrough(kw, (now) => [eventOf('token.leaked', now, fields)])
    return verdict
  }
  if (found.status === 'revoked')
    return leaked(Object.freeze({ outcome: 'already_revoked', tokenId, record: found }))
  let record: TokenRecord | null
  let unconfirmed: unknown = null
  try {
    record = await kw.tokens.revoke(tokenId, { reason, actor })
  } catch (error) {
    // Saved in the store, only the other processes are not told yet (Keyward keeps telling them):
    // the leak is announced all the same, as every event is, and then the caller hears of it.
    if (!isKeywardError(error) || error.code !== 'invalidation_unconfirmed') throw error
    unconfirmed = error
    record = await kw.tokens.get(tokenId)
  }
  // Gone between the calls: there is no token left to speak of.
  if (record === null) return Object.freeze({ outcome: 'unknown', tokenId })
  // The store keeps the first revocation: one that came in between (another report, the owner) wins.
  const revokedNow = record.revokedReason === reason && record.revokedAt !== null
  const verdict = await leaked(
    Object.freeze({ outcome: revokedNow ? 'revoked' : 'already_revoked', tokenId, record }),
  )
  if (unconfirmed !== null) throw unconfirmed
  return verdict
}

/**
 * `revokeLeakedToken` for each distinct token of a report, in order, one at a time (each real one
 * costs a hash verification): one verdict per distinct token, keyed by the token. `reportOf` gives
 * what the reporter said of each token.
 */
export async function revokeLeakedTokens(
  kw: Keyward,
  tokens: Iterable<string>,
  options: { actor?: Actor; reportOf?: (token: string) => LeakReportInput } = {},
): Promise<ReadonlyMap<string, LeakVerdict>> {
  const verdicts = new Map<string, LeakVerdict>()
  for (const token of tokens) {
    if (verdicts.has(token)) continue
    const report = options.reportOf?.(token)
    const leakOptions: LeakOptions = {
      ...(options.actor === undefined ? {} : { actor: options.actor }),
      ...(report === undefined ? {} : { report }),
    }
    verdicts.set(token, await revokeLeakedToken(kw, token, leakOptions))
  }
  return verdicts
}
