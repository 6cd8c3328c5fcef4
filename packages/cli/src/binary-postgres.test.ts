import type { KeywardStore } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { postgresBackend, TEST_DATABASE_URL } from '@keyward/test-kit'
import postgres from 'postgres'
import { afterAll, beforeAll, describe } from 'vitest'
import { binaryCases } from '../fixtures/binary-cases.js'
import { assertBuilt } from '../fixtures/harness.js'
import { operatorCases } from '../fixtures/operator-cases.js'

assertBuilt()
// Unreachable Postgres: a loud skip, or under CI=true a failure (test-kit decides, as everywhere).
const pg = await postgresBackend()

describe.skipIf(pg === null)('on Postgres, in a schema of this file’s own', () => {
  let env: Record<string, string> = {}
  let schema = ''
  const opened: KeywardStore[] = []
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  beforeAll(async () => {
    // Created and migrated here (what `keyward migrate` does), dropped after the file.
    const location = (await pg?.create())?.location
    schema = location?.schema ?? ''
    env = {
      CLI_TEST_STORE: 'postgres',
      CLI_TEST_DATABASE_URL: TEST_DATABASE_URL,
      CLI_TEST_SCHEMA: schema,
      CLI_TEST_TABLE_PREFIX: location?.tablePrefix ?? '',
    }
  })
  afterAll(async () => {
    for (const store of opened) await store.close()
    await admin.end({ timeout: 5 })
  })
  binaryCases('Postgres', () => env)

  // Fresh tables: a table prefix of their own in the file's schema, never migrated.
  let fresh = 0
  operatorCases('Postgres', async () => {
    const tablePrefix = `fresh${++fresh}x_`
    return {
      env: { ...env, CLI_TEST_TABLE_PREFIX: tablePrefix },
      async tables() {
        const rows = await admin<{ name: string }[]>`
          SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY 1`
        return rows.map((row) => row.name).filter((name) => name.startsWith(tablePrefix))
      },
      async runScript(script) {
        await admin.unsafe(script)
      },
      store() {
        const store = postgresStore({ url: TEST_DATABASE_URL, schema, tablePrefix })
        opened.push(store)
        return store
      },
    }
  })
})
