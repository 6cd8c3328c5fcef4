import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import postgres from 'postgres'
import { afterAll } from 'vitest'
import type { Clock } from '../clock.js'
import { postgresStore } from '../postgres.js'
import { sqliteStore } from '../sqlite.js'
import type { KeywardStore } from '../store.js'
import { checksum } from '../token-format.js'
import { skipNotice } from './services.js'

/** Polls `check` until it holds; throws after `withinMs`. For what no clock can drive (a connection). */
export async function eventually(check: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The token with another secret (and a valid checksum): what a guesser who knows the id sends. */
export function wrongSecret(token: string, n: number): string {
  const body = `${token.slice(0, -49)}${String(n).padStart(43, 'x')}`
  return body + checksum(body)
}

export const TEST_DATABASE_URL =
  process.env.KEYWARD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A clock tests move by hand. */
export function manualClock(
  start = Date.UTC(2030, 0, 1),
): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start
  return {
    now: () => now,
    advance: (ms) => {
      now += ms
    },
    set: (ms) => {
      now = ms
    },
  }
}

export type TestStore = {
  store: KeywardStore
  /** Every byte the backend holds for this store, as text (file bytes, or every column of every row). */
  dump(): Promise<string>
  /** Another handle on the same tables (closed after the file). */
  reopen(): Promise<KeywardStore>
  /** Runs SQL on the backend directly; `{tokens}` stands for the tokens table's qualified name. */
  exec(statement: string): Promise<void>
  /** Where the tables are, on Postgres: to open another connection to them (through a proxy, say). */
  location?: { schema: string; tablePrefix: string }
}

export type Backend = {
  name: 'sqlite' | 'postgres'
  /** A fresh, migrated store that no other test case shares; closed after the file. */
  create(): Promise<TestStore>
}

const unique = () => randomBytes(6).toString('hex')

/** SQLite in a temporary directory, removed after the file. */
export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-test-'))
  const opened: KeywardStore[] = []
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()))
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    name: 'sqlite',
    async create() {
      const path = join(dir, `${unique()}.db`)
      const store = sqliteStore({ path })
      opened.push(store)
      await store.migrate()
      return {
        store,
        async exec(statement) {
          const db = new Database(path)
          try {
            db.exec(statement.replaceAll('{tokens}', '"keyward_tokens"'))
          } finally {
            db.close()
          }
        },
        async reopen() {
          const again = sqliteStore({ path })
          opened.push(again)
          return again
        },
        async dump() {
          return readdirSync(dir)
            .filter((f) => f.startsWith(path.slice(dir.length + 1)))
            .map((f) => readFileSync(join(dir, f)).toString('latin1'))
            .join('\n')
        },
      }
    },
  }
}

/**
 * The real Postgres service, in a schema of this test file's own, dropped afterwards. Returns null
 * (after a loud notice) when the server is unreachable, except under CI=true, where it throws.
 */
export async function postgresBackend(): Promise<Backend | null> {
  const admin = postgres(TEST_DATABASE_URL, { max: 2, connect_timeout: 3, onnotice: () => {} })
  try {
    await admin`SELECT 1`
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {})
    skipNotice(
      'Postgres',
      `Postgres at ${TEST_DATABASE_URL} is unreachable (${(error as Error).message}).`,
      'KEYWARD_TEST_DATABASE_URL',
    )
    return null
  }
  const schema = `keyward_test_${unique()}`
  const opened: KeywardStore[] = []
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()))
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end({ timeout: 5 })
  })
  return {
    name: 'postgres',
    async create() {
      const tablePrefix = `t${unique()}_`
      const store = postgresStore({ url: TEST_DATABASE_URL, schema, tablePrefix })
      opened.push(store)
      await store.migrate()
      return {
        store,
        location: { schema, tablePrefix },
        async exec(statement) {
          await admin.unsafe(statement.replaceAll('{tokens}', `"${schema}"."${tablePrefix}tokens"`))
        },
        async reopen() {
          const again = postgresStore({ url: TEST_DATABASE_URL, schema, tablePrefix })
          opened.push(again)
          return again
        },
        async dump() {
          const tables = await admin<{ table_name: string }[]>`
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = ${schema} AND table_name LIKE ${`${tablePrefix}%`}`
          const parts: string[] = []
          for (const { table_name } of tables) {
            const rows = await admin.unsafe(`SELECT t::text AS row FROM "${schema}"."${table_name}" AS t`)
            parts.push(...rows.map((r) => String(r.row)))
          }
          return parts.join('\n')
        },
      }
    },
  }
}

/** The backends every store-backed suite runs against. */
export async function backends(): Promise<Backend[]> {
  const pg = await postgresBackend()
  return pg ? [sqliteBackend(), pg] : [sqliteBackend()]
}
