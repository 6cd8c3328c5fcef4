import { authError, unavailableError } from './errors.js'
import type { AuthResult, RejectionReason } from './keyward-types.js'

/** The failures a request can get, frozen once per instance: a rejection allocates nothing. */
export function cannedFailures(retryAfter: number) {
  return {
    invalid: Object.freeze({ ok: false, error: authError('invalid_token') }) as AuthResult,
    unavailable: Object.freeze({ ok: false, error: unavailableError(retryAfter) }) as AuthResult,
    header: {
      missing_token: Object.freeze({ ok: false, error: authError('missing_token') }),
      malformed_header: Object.freeze({ ok: false, error: authError('malformed_header') }),
      multiple_credentials: Object.freeze({ ok: false, error: authError('multiple_credentials') }),
      token_too_long: Object.freeze({ ok: false, error: authError('token_too_long') }),
    } as const satisfies Record<string, AuthResult>,
  }
}

/**
 * Every rejection goes through here, so that each is counted in `stats().rejections` once:
 * `rejected(reason)` answers a request; `rejectedForGood(digest, reason)` also remembers that the
 * store said no, so that the same token is answered without I/O for a while (the negative cache).
 */
export function createVerdicts(
  rejections: Record<RejectionReason, number>,
  retryAfter: number,
  negativeCache: { refuse(digest: string): void },
) {
  const failures = cannedFailures(retryAfter)
  const rejected = (reason: RejectionReason): AuthResult => {
    rejections[reason]++
    return reason === 'unavailable' || reason === 'overloaded' ? failures.unavailable : failures.invalid
  }
  return {
    rejected,
    /** A request refused for its header (or a credential's length): a 400/401 of its own, counted. */
    headerRejected(reason: keyof typeof failures.header): AuthResult {
      rejections[reason]++
      return failures.header[reason]
    },
    rejectedForGood(digest: string, reason: RejectionReason): AuthResult {
      negativeCache.refuse(digest)
      return rejected(reason)
    },
  }
}

export type Verdicts = ReturnType<typeof createVerdicts>
