import { KeywardError } from './errors.js'
import { integerOption } from './option-checks.js'
import type { KeywardStore } from './store.js'
import { isUsable } from './token-rows.js'

/** Active tokens a user may hold unless `maxTokensPerUser` says otherwise. */
export const DEFAULT_MAX_TOKENS_PER_USER = 1000

/** Validates the `maxTokensPerUser` option. */
export function maxTokensOption(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_TOKENS_PER_USER
  return integerOption(value, 'maxTokensPerUser')
}

/**
 * Refuses a new token for a user who already has `max` active ones (one being replaced, for a
 * rotation, does not count). The cap bounds what one `revokeAll()` must tell every process. It is
 * checked before the insert, so concurrent creations may pass it by as many as run at once.
 */
export async function assertRoomForToken(
  store: KeywardStore,
  userId: string,
  options: { max: number; now: number; replacing: boolean },
): Promise<void> {
  const active = store.countActiveTokens
    ? await store.countActiveTokens(userId, options.now)
    : (await store.listTokens(userId)).filter((row) => isUsable(row, options.now)).length
  if (active - (options.replacing ? 1 : 0) >= options.max) {
    throw new KeywardError(
      'too_many_tokens',
      `The user already has ${active} active tokens; maxTokensPerUser is ${options.max}. Revoke some first.`,
    )
  }
}
