import type { RejectionReason } from '@keyward/core'

/** Each reason the core counts for a refusal (`kw.stats().rejections`), in words for `keyward check`. */
export const REJECTION_TEXT: Readonly<Record<RejectionReason, string>> = {
  missing_token: 'no token was given',
  malformed_header: 'it holds characters a bearer token cannot carry',
  multiple_credentials: 'it holds more than one credential',
  token_too_long: 'it is longer than any token',
  malformed: 'it is not shaped like a token of this app (<prefix>_<id>_<secret>, or a session token)',
  wrong_prefix: 'its prefix is not this app’s: minted by another app or deployment',
  bad_checksum: 'its checksum does not match: mistyped or truncated',
  unknown: 'there is no token with this id in the store: never created here, or purged',
  wrong_secret: 'a token with this id exists, but the secret is wrong',
  expired: 'the token has expired',
  revoked: 'the token was revoked',
  bad_hash: 'the stored hash is unreadable (a damaged row)',
  bad_session:
    'not a session token this app signed, or an expired one (signature, issuer, audience or expiry)',
  stale_session: 'the session was ended by a bump (log out everywhere) after it was issued',
  negative_cache: 'refused a moment ago, and remembered',
  throttled: 'too many wrong secrets were sent for this id: throttled',
  overloaded: 'too many verifications at once',
  wrong_kind: 'a kind of credential that is not accepted here',
  unavailable: 'the store did not answer: the token may be fine',
}
