import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeywardError } from '@keyward/core'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { captureIo } from '../fixtures/capture-io.js'
import { sqliteKeywards } from '../fixtures/sqlite-keyward.js'
import { SQLITE_PENDING } from '../fixtures/sqlite-schema.js'
import { CliError } from './cli-error.js'
import { run } from './main.js'
import { explainStoreFailure } from './unmigrated.js'

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const keywards = sqliteKeywards('unmigrated')
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-unmigrated-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('explainStoreFailure', () => {
  it('turns a store failure on a database with pending migrations into exit 3 saying to run keyward migrate', async () => {
    const { kw } = await keywards.create({ migrate: false })
    const failure = await kw.tokens.list('u1').catch((error: unknown) => error)
    const explained = await explainStoreFailure(failure, kw)
    expect(explained).toBeInstanceOf(CliError)
    expect((explained as CliError).exitCode).toBe(3)
    expect((explained as CliError).message).toMatch(
      new RegExp(
        `^The database is not migrated: ${escapeRegExp(SQLITE_PENDING)}; the store said: .*no such table`,
      ),
    )
    expect((explained as CliError).hint).toContain('Run `keyward migrate`')
  })

  it('leaves every other failure as it came: a migrated database, another error code, no instance', async () => {
    const { kw } = await keywards.create()
    const storeError = new KeywardError('store_error', 'the database is down')
    expect(await explainStoreFailure(storeError, kw)).toBe(storeError)
    const { kw: unmigrated } = await keywards.create({ migrate: false })
    const usage = new KeywardError('invalid_argument', 'bad')
    expect(await explainStoreFailure(usage, unmigrated)).toBe(usage)
    expect(await explainStoreFailure(storeError, null)).toBe(storeError)
  })
})

describe('the environment’s store, without a config file', () => {
  it('is not migrated by a command: migrate --print creates no table, tokens list says to run keyward migrate', async () => {
    const path = join(dir, 'env.db')
    const env = { KEYWARD_DATABASE_URL: path }
    const tables = () => {
      const db = new Database(path, { readonly: true })
      const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()
      db.close()
      return rows
    }
    const printed = captureIo({ env, cwd: dir })
    expect(await run(['migrate', '--print'], printed.io)).toBe(0)
    expect(printed.written.stdout).toContain('CREATE TABLE IF NOT EXISTS "keyward_tokens"')
    expect(tables()).toEqual([])

    const listed = captureIo({ env, cwd: dir })
    expect(await run(['tokens', 'list', '--user', 'u1'], listed.io)).toBe(3)
    expect(listed.written.stderr).toContain(`error: The database is not migrated: ${SQLITE_PENDING}`)
    expect(listed.written.stderr).toContain('Run `keyward migrate` with the same configuration')
    // The instance's own warnings come through the CLI's stderr, with its prefix.
    expect(listed.written.stderr).toContain('keyward: could not subscribe to invalidations')
    expect(tables()).toEqual([])

    const migrated = captureIo({ env, cwd: dir })
    expect(await run(['migrate', '-q'], migrated.io)).toBe(0)
    expect(migrated.written.stderr).toBe('')
    const after = captureIo({ env, cwd: dir })
    expect(await run(['tokens', 'list', '--user', 'u1'], after.io)).toBe(0)
  })

  it('with neither a config file nor KEYWARD_DATABASE_URL still refuses to create ./keyward.db', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'))
    const { io, written } = captureIo({ cwd: empty })
    expect(await run(['migrate'], io)).toBe(3)
    expect(written.stderr).toContain('No configuration')
    expect(existsSync(join(empty, 'keyward.db'))).toBe(false)
    writeFileSync(join(empty, 'keyward.db'), '')
    const there = captureIo({ cwd: empty })
    expect(await run(['migrate', '--status', '--json'], there.io)).toBe(1)
    expect(JSON.parse(there.written.stdout)).toMatchObject({ dialect: 'sqlite', applied: [], current: false })
  })
})
