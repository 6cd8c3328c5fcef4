/** What the store contract's cases share: a token row to write, and how a case gets its store. */
import type { KeywardStore, TokenRow } from './store.js'

let counter = 0
export function row(overrides: Partial<TokenRow> = {}): TokenRow {
  counter++
  return {
    id: `id${String(counter).padStart(20, '0')}`,
    userId: 'user-1',
    name: `token ${counter}`,
    prefix: 'kw_id0000…',
    secretHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA',
    scopes: ['repo:read', 'repo:write'],
    expiresAt: null,
    lastUsedAt: null,
    createdAt: 1_700_000_000_000 + counter,
    revokedAt: null,
    revokedReason: null,
    metadata: null,
    description: null,
    ...overrides,
  }
}

/** A store under test, and optionally a second handle on the same tables (another process). */
export type ContractStore = {
  store: KeywardStore
  reopen?: () => KeywardStore | Promise<KeywardStore>
}

export type StoreContractOptions = {
  /**
   * Fail, rather than skip, the cases of the optional methods (`listTokenPage`, `deploymentKey`,
   * `countActiveTokens`, `listExpiringTokens`, `countPurgeableTokens` with `purgeTokens`,
   * `migrationStatus`, `appendAudit` with `listAudit` and `purgeAudit`, `claimExpiryWarnings`
   * with `pruneExpiryWarnings`) when the store lacks them. Default false.
   */
  requireOptional?: boolean
  /**
   * The optional methods this store does not implement, said up front: their cases are not defined
   * at all (nothing is skipped), and one case checks that the store indeed lacks them.
   */
  without?: readonly OptionalMethod[]
}

export type OptionalMethod =
  | 'listTokenPage'
  | 'deploymentKey'
  | 'countActiveTokens'
  | 'listExpiringTokens'
  | 'countPurgeableTokens'
  | 'purgeTokens'
  | 'migrationStatus'
  | 'appendAudit'
  | 'listAudit'
  | 'purgeAudit'
  | 'claimExpiryWarnings'
  | 'pruneExpiryWarnings'

/** What each case gets from `storeContract()`. */
export type ContractContext = {
  /** A fresh, migrated store (closed after the file). */
  created(): Promise<ContractStore>
  /** A fresh store as `create` gave it, not migrated by the suite (closed after the file). */
  fresh(): Promise<ContractStore>
  /** True when the case is to be skipped: the store lacks an optional method (and may). */
  lacks(store: KeywardStore, method: OptionalMethod, context: { skip(): void }): boolean
  /** Whether the cases of an optional method are defined (not when the options say it is `without`). */
  defines(method: OptionalMethod): boolean
  requireOptional: boolean
}
