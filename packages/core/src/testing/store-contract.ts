import { storeContract as contract } from '../store-contract.js'
import type { Backend } from './backends.js'

/** The contract for Keyward's own stores: a fresh store per case, every optional method required. */
export function storeContract(backend: Backend): void {
  contract(backend.name, () => backend.create(), { requireOptional: true })
}
