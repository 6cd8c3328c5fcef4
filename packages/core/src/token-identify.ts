import type { Clock } from './clock.js'
import { describeStoreError, isKeywardError, KeywardError } from './errors.js'
import type { TokenHasher } from './hashing.js'
import type { TokenRecord } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import type { KeywardStore } from './store.js'
import { displayPrefix, parseToken } from './token-format.js'
import { toRecord } from './token-rows.js'

/**
 * Which stored token a plaintext token is, whatever its state: what a leak report needs, since a
 * leaked token that is already revoked or expired is still a real one, while `authenticate` answers
 * the same `invalid_token` for it as for a forged secret. Off the request path: no cache, no
 * throttle, no last-used write; one store read and one hash verification per well-formed token.
 */

export type IdentificationContext = {
  tokenPrefix: string
  clock: Clock
  hasher: TokenHasher
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
}

export function createTokenIdentification(context: IdentificationContext) {
  const { tokenPrefix, clock, hasher } = context

  /**
   * The record of the token whose plaintext this is, when its secret verifies against the stored
   * hash, revoked and expired ones included; null for anything else (not this instance's format,
   * no such id, another secret). Throws `store_error` when the store (or the hasher) cannot answer.
   */
  return async function identify(token: string): Promise<TokenRecord | null> {
    if (typeof token !== 'string') {
      throw new KeywardError(
        'invalid_argument',
        `tokens.identify(): token must be a string; got ${typeof token}.`,
      )
    }
    const parsed = parseToken(token, tokenPrefix)
    if (!parsed.ok) return null
    if (context.lifecycle.closed) throw new KeywardError('closed', 'This Keyward instance is closed.')
    const { id, secret } = parsed.token
    try {
      const row = await (await context.store()).findToken(id)
      // The prefix check is the one the request path makes: a row minted under another prefix.
      if (row === null || row.prefix !== displayPrefix(tokenPrefix, id)) return null
      if (!hasher.accepts(row.secretHash)) return null
      return (await hasher.verify(row.secretHash, secret)) ? toRecord(row, clock.now()) : null
    } catch (error) {
      if (isKeywardError(error)) throw error
      // No `cause`: a driver's error can hold the statement's parameters.
      throw new KeywardError(
        'store_error',
        `The token store failed during identify: ${describeStoreError(error)}`,
      )
    }
  }
}
