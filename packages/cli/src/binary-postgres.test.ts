import { postgresBackend, TEST_DATABASE_URL } from '@keyward/test-kit'
import { beforeAll, describe } from 'vitest'
import { binaryCases } from '../fixtures/binary-cases.js'
import { assertBuilt } from '../fixtures/harness.js'

assertBuilt()
// Unreachable Postgres: a loud skip, or under CI=true a failure (test-kit decides, as everywhere).
const pg = await postgresBackend()

describe.skipIf(pg === null)('on Postgres, in a schema of this file’s own', () => {
  let env: Record<string, string> = {}
  beforeAll(async () => {
    // Created and migrated here (what `keyward migrate` will do), dropped after the file.
    const location = (await pg?.create())?.location
    env = {
      CLI_TEST_STORE: 'postgres',
      CLI_TEST_DATABASE_URL: TEST_DATABASE_URL,
      CLI_TEST_SCHEMA: location?.schema ?? '',
      CLI_TEST_TABLE_PREFIX: location?.tablePrefix ?? '',
    }
  })
  binaryCases('Postgres', () => env)
})
