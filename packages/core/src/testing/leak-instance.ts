import { argon2Hasher } from '../hashing.js'
import { createKeyward } from '../keyward.js'
import type { KeywardStore } from '../store.js'
import { type Backend, manualClock } from './backends.js'

/**
 * An instance for the leak-report tests: a real store of `backend` that counts its token reads (a
 * refusal made without I/O leaves the count at 0), with `overrides` in place of its own members, a
 * manual clock, the prefix `acme` and cheap argon2 parameters (leak reports verify real hashes).
 */
export async function leakTestInstance(backend: Backend, overrides: Partial<KeywardStore> = {}) {
  const { store } = await backend.create()
  let reads = 0
  const counted: KeywardStore = {
    ...store,
    findToken: (id, signal) => {
      reads++
      return store.findToken(id, signal)
    },
    ...overrides,
  }
  const clock = manualClock()
  const kw = createKeyward({
    store: counted,
    clock,
    tokenPrefix: 'acme',
    hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    logger: { warn: () => {} },
  })
  return { kw, clock, reads: () => reads }
}
