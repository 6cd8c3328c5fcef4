/**
 * The contract every `KeywardStore` must pass, as a vitest suite: `@keyward/core/testing` for
 * authors of their own store, and what Keyward's SQLite and Postgres stores run against.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { KeywardStore } from './store.js'
import { storeAuditCases } from './store-contract-audit.js'
import type { ContractStore, OptionalMethod, StoreContractOptions } from './store-contract-kit.js'
import { tokenRowCases } from './store-contract-rows.js'
import { storeStateCases } from './store-contract-state.js'
import { storeUpkeepCases } from './store-contract-upkeep.js'

export type { ContractStore, StoreContractOptions } from './store-contract-kit.js'

/**
 * Defines the contract's cases (in a `describe` named `store contract: <name>`). `create` gives a
 * fresh store on tables no other case uses, each time it is called; the suite runs `migrate()` on
 * it and closes every store it got after the file.
 */
export function storeContract(
  name: string,
  create: () => KeywardStore | ContractStore | Promise<KeywardStore | ContractStore>,
  options: StoreContractOptions = {},
): void {
  const without = options.without ?? []
  if (without.length > 0 && options.requireOptional) {
    throw new Error('storeContract(): `without` and `requireOptional` contradict each other')
  }
  const opened: KeywardStore[] = []
  afterAll(async () => {
    await Promise.allSettled(opened.map((store) => store.close()))
  })
  const fresh = async (): Promise<ContractStore> => {
    const made = await create()
    const given: ContractStore =
      'store' in made && typeof made.store === 'object' ? made : { store: made as KeywardStore }
    opened.push(given.store)
    return given
  }
  const created = async (): Promise<ContractStore> => {
    const given = await fresh()
    await given.store.migrate()
    const reopen = given.reopen
    if (reopen === undefined) return given
    return {
      store: given.store,
      reopen: async () => {
        const again = await reopen()
        opened.push(again)
        return again
      },
    }
  }
  const lacks = (store: KeywardStore, method: OptionalMethod, context: { skip(): void }) => {
    if (typeof store[method] === 'function') return false
    if (options.requireOptional) throw new Error(`the store has no ${method}()`)
    context.skip()
    return true
  }

  describe(`store contract: ${name}`, () => {
    const defines = (method: OptionalMethod) => !without.includes(method)
    const context = { created, fresh, lacks, defines, requireOptional: options.requireOptional === true }
    tokenRowCases(context)
    storeStateCases(context)
    storeUpkeepCases(context)
    storeAuditCases(context)
    if (without.length > 0) {
      it(`lacks the optional methods it is declared without: ${without.join(', ')}`, async () => {
        const { store } = await created()
        for (const method of without) expect(typeof store[method], method).not.toBe('function')
      })
    }
  })
}
