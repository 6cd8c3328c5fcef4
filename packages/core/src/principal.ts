/** Who a request is: the one type every adapter attaches, for a PAT and a session alike. */
export type Principal = {
  readonly kind: 'pat' | 'session'
  readonly userId: string
  readonly scopes: readonly string[]
  /** The token's id, for a PAT. */
  readonly tokenId?: string
  /** The token's `jti`, for a session. */
  readonly sessionId?: string
  readonly expiresAt: Date | null
}
