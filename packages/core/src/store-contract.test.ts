import { sqliteStore } from './sqlite.js'
import type { KeywardStore } from './store.js'
import { storeContract } from './store-contract.js'

// As a store author runs it (the README's example): a fresh store per call, migrated by the suite.
storeContract('sqlite in memory, as an author would run it', () =>
  sqliteStore({ path: ':memory:', notify: false }),
)

// A store without the optional methods: their cases are skipped, the rest must pass.
storeContract('a store without the optional methods', () => {
  const { listTokenPage, deploymentKey, countActiveTokens, ...required } = sqliteStore({
    path: ':memory:',
    notify: false,
  })
  return required satisfies KeywardStore
})
