/**
 * The data every server of a run reads: a SQLite file (Keyward's tokens and better-auth's), a
 * Postgres schema and a Redis prefix of this run's own, and one token per credential. Removed by
 * cleanUp, whatever happened.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { apiKey } from '@better-auth/api-key'
import { createKeyward, type KeywardStore } from '@keyward/core'
import { postgresStore } from '@keyward/core/postgres'
import { sqliteStore } from '@keyward/core/sqlite'
import { betterAuth } from 'better-auth'
import { getMigrations } from 'better-auth/db/migration'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import type { Settings } from './settings.js'
import type { Credential, ServerFixtures } from './variants.js'

export type Fixtures = {
  dir: string
  server: ServerFixtures
  available: { postgres: boolean; redis: boolean }
  tokens: Record<Credential, string | null>
  cleanUp(): Promise<void>
}

async function reachable(check: () => Promise<unknown>): Promise<boolean> {
  try {
    await check()
    return true
  } catch {
    return false
  }
}

async function keywardToken(store: KeywardStore, scopes: string[]): Promise<string> {
  await store.migrate()
  const kw = createKeyward({ store, tokenPrefix: 'bench' })
  try {
    return (await kw.tokens.create({ userId: 'bench', name: 'bench', scopes })).token
  } finally {
    await kw.close()
  }
}

async function betterAuthKey(sqlitePath: string): Promise<string> {
  const database = new Database(sqlitePath)
  try {
    const auth = betterAuth({
      database,
      secret: 'benchmark-secret-benchmark-secret-0123',
      emailAndPassword: { enabled: true },
      plugins: [apiKey({ rateLimit: { enabled: false } })],
      telemetry: { enabled: false },
    })
    await (await getMigrations(auth.options)).runMigrations()
    const { user } = await auth.api.signUpEmail({
      body: { email: 'bench@example.com', password: 'bench-password-123', name: 'bench' },
    })
    return (await auth.api.createApiKey({ body: { userId: user.id } })).key
  } finally {
    database.close()
  }
}

export async function prepareFixtures(settings: Settings): Promise<Fixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'))
  const server: ServerFixtures = {
    staticToken: randomBytes(24).toString('hex'),
    sqlitePath: join(dir, 'bench.db'),
    pgUrl: settings.pgUrl,
    pgSchema: `keyward_bench_${randomBytes(4).toString('hex')}`,
    redisUrl: settings.redisUrl,
    redisPrefix: `keyward-bench:${randomBytes(4).toString('hex')}:`,
  }
  const admin = postgres(server.pgUrl, { max: 1, onnotice: () => {}, connect_timeout: 3 })
  const redis = new Redis(server.redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  const cleanUp = async () => {
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${server.pgSchema}" CASCADE`).catch(() => {})
    await admin.end({ timeout: 2 }).catch(() => {})
    const keys = await redis.keys(`${server.redisPrefix}*`).catch(() => [] as string[])
    if (keys.length > 0) await redis.del(...keys).catch(() => {})
    redis.disconnect()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const available = {
      postgres: await reachable(() => admin`SELECT 1`),
      redis: await reachable(async () => {
        await redis.connect()
        await redis.ping()
      }),
    }
    const sqliteToken = await keywardToken(sqliteStore({ path: server.sqlitePath }), ['repo:read'])
    const postgresToken = available.postgres
      ? await keywardToken(postgresStore({ url: server.pgUrl, schema: server.pgSchema }), [])
      : null
    const tokens: Record<Credential, string | null> = {
      none: null,
      static: server.staticToken,
      'sqlite-token': sqliteToken,
      'postgres-token': postgresToken,
      'better-auth-key': await betterAuthKey(server.sqlitePath),
    }
    return { dir, server, available, tokens, cleanUp }
  } catch (error) {
    await cleanUp()
    throw error
  }
}
