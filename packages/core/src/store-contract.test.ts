import { describe, expect, it } from 'vitest'
import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { storeContract } from './store-contract.js'

// As a store author runs it (the README's example): a fresh store per call, migrated by the suite.
storeContract('sqlite in memory, as an author would run it', () =>
  sqliteStore({ path: ':memory:', notify: false }),
)

/** A store with only the required methods. */
function requiredOnly(): KeywardStore {
  const {
    listTokenPage,
    deploymentKey,
    countActiveTokens,
    listExpiringTokens,
    countPurgeableTokens,
    purgeTokens,
    migrationStatus,
    appendAudit,
    listAudit,
    purgeAudit,
    claimExpiryWarnings,
    pruneExpiryWarnings,
    ...required
  } = sqliteStore({
    path: ':memory:',
    notify: false,
  })
  return required
}

// Declared without the optional methods: their cases are not defined, the rest must pass, and
// nothing is skipped (under CI=true nothing may be).
storeContract('a store declared without the optional methods', requiredOnly, {
  without: [
    'listTokenPage',
    'deploymentKey',
    'countActiveTokens',
    'listExpiringTokens',
    'countPurgeableTokens',
    'purgeTokens',
    'migrationStatus',
    'appendAudit',
    'listAudit',
    'purgeAudit',
    'claimExpiryWarnings',
    'pruneExpiryWarnings',
  ],
})

describe('storeContract() options', () => {
  it('refuses `without` together with `requireOptional`', () => {
    expect(() =>
      storeContract('contradiction', requiredOnly, { without: ['listTokenPage'], requireOptional: true }),
    ).toThrow(/contradict/)
  })
})
