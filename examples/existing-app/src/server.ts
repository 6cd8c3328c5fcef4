/**
 * The existing app with Keyward added: `npm start -w @keyward/example-existing-app` serves it on
 * PORT (default 3000), on DATABASE_URL in the Postgres schema DB_SCHEMA (default `app`).
 */
import type { AddressInfo } from 'node:net'
import { createKeyward } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { drizzle } from 'drizzle-orm/node-postgres'
import pg from 'pg'
import { createApp, TOKEN_SCOPES } from './app.js'
import { migrateApp } from './db/migrate.js'
import * as schema from './db/schema.js'

// The app's database, as before Keyward: one node-postgres pool and drizzle on it.
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
})
const db = drizzle(pool, { schema })
await migrateApp(pool, schema.schemaName)
// Demo users, so that there is someone to log in as.
await db
  .insert(schema.users)
  .values([
    { id: 'ada', name: 'Ada', admin: true },
    { id: 'bob', name: 'Bob' },
  ])
  .onConflictDoNothing()

// Keyward on the same pool and schema; it LISTENs for other processes' revocations on a
// connection of its own, opened with the pool's settings.
const store = postgresStore({ db, schema: schema.schemaName })
await store.migrate() // idempotent, and safe to run from several processes at once
// The one instance of this process: the routes, minting and revoking all use it.
const kw = createKeyward({ store, tokenPrefix: 'acme', scopes: TOKEN_SCOPES })

const server = createApp({ db, kw }).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`existing app listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    server.close()
    await kw.close() // flushes last-used times; the pool stays the app's
    await pool.end()
    process.exit(0)
  })
}
