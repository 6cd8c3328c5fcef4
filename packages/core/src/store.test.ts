import { backends } from './testing/backends.js'
import { storeContract } from './testing/store-contract.js'

for (const backend of await backends()) storeContract(backend)
