import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { describe, expect, it, vi } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'

// An app on node-postgres without postgres.js installed: importing it fails as Node would.
vi.mock('postgres', () => {
  throw new Error("Cannot find package 'postgres' imported from @keyward/core (ERR_MODULE_NOT_FOUND)")
})
vi.mock('drizzle-orm/postgres-js', () => {
  throw new Error("Cannot find package 'postgres' imported from drizzle-orm (ERR_MODULE_NOT_FOUND)")
})

const url = process.env.KEYWARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

describe('@keyward/core/postgres without postgres.js', () => {
  it('works on a drizzle db over pg, and { url } says what to install', async () => {
    const { postgresStore } = await import('./postgres.js')
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    const schema = `keyward_test_pgonly_${process.pid}`
    try {
      const store = postgresStore({ db: drizzle(pool), schema })
      await store.migrate()
      const kw = createKeyward({
        store,
        tokenPrefix: 'myapp',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
      })
      const { token } = await kw.tokens.create({ userId: 'u1', name: 'ci' })
      expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
      expect(kw.stats().invalidations.channel).toBe('postgres')
      await kw.close()

      const own = postgresStore({ url })
      await expect(own.migrate()).rejects.toMatchObject({
        code: 'invalid_option',
        message: expect.stringContaining('npm install postgres'),
      })
      await own.close()
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await pool.end()
    }
  })
})
