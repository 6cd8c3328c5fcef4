/**
 * Cutting a user off (deleted or disabled): every personal access token revoked and every session
 * token ended, in one call. The tokens first: a failure after them leaves the user with fewer
 * credentials, never more, and the call can simply be repeated.
 */

export type UserCutOff = {
  readonly userId: string
  /** How many active tokens were revoked now (0 when there were none left). */
  readonly tokensRevoked: number
  readonly tokenIds: readonly string[]
  /** The user's new session version: every session token issued before it is refused. */
  readonly sessionVersion: number
}

export async function cutOffUser(
  userId: string,
  steps: {
    revokeTokens(userId: string): Promise<string[]>
    endSessions(userId: string): Promise<number>
  },
): Promise<UserCutOff> {
  const tokenIds = await steps.revokeTokens(userId)
  const sessionVersion = await steps.endSessions(userId)
  return Object.freeze({
    userId,
    tokensRevoked: tokenIds.length,
    tokenIds: Object.freeze(tokenIds),
    sessionVersion,
  })
}
