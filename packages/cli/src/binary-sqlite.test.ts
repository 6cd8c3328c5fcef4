import { execFileSync } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KeywardStore } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binaryCases } from '../fixtures/binary-cases.js'
import { assertBuilt, CONFIG, cli, PACKAGE } from '../fixtures/harness.js'
import { operatorCases } from '../fixtures/operator-cases.js'
import { SQLITE_VERSIONS } from '../fixtures/sqlite-schema.js'

assertBuilt()
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-sqlite-'))
const path = join(dir, 'app.db')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
beforeAll(async () => {
  // What `keyward migrate` will do in a deploy step; the app's config does not migrate by itself.
  const store = sqliteStore({ path })
  await store.migrate()
  await store.close()
})

binaryCases('SQLite', () => ({ CLI_TEST_SQLITE_PATH: path }))

// Fresh databases: a file of their own, which the first command creates empty.
const opened: KeywardStore[] = []
afterAll(async () => {
  for (const store of opened) await store.close()
})
let fresh = 0
operatorCases('SQLite', async () => {
  const file = join(dir, `fresh-${++fresh}.db`)
  return {
    env: { CLI_TEST_SQLITE_PATH: file },
    async tables() {
      if (!existsSync(file)) return []
      const db = new Database(file, { readonly: true })
      try {
        const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all()
        return (rows as { name: string }[]).map((row) => row.name)
      } finally {
        db.close()
      }
    },
    async runScript(script) {
      const db = new Database(file)
      try {
        db.exec(script)
      } finally {
        db.close()
      }
    },
    store() {
      const store = sqliteStore({ path: file })
      opened.push(store)
      return store
    },
  }
})

describe('keyward binary: where the configuration comes from', () => {
  it('finds keyward.config.ts in the working directory, or the file KEYWARD_CONFIG names', async () => {
    const env = { CLI_TEST_SQLITE_PATH: path }
    const found = await cli(['scopes', '--json'], { env, cwd: join(PACKAGE, 'fixtures') })
    expect(found.code, found.stderr).toBe(0)
    expect(found.stderr).toContain('keyward: using keyward.config.ts\n')
    const named = await cli(['scopes', '--json'], { env: { ...env, KEYWARD_CONFIG: CONFIG }, cwd: dir })
    expect(named.code, named.stderr).toBe(0)
    expect(named.stderr).toContain('(from KEYWARD_CONFIG)')
    const quiet = await cli(['scopes', '-q'], { env: { ...env, KEYWARD_CONFIG: CONFIG }, cwd: dir })
    expect(quiet.stderr).toBe('')
  })

  it('without a config file, uses the environment as patAuth() does: KEYWARD_DATABASE_URL', async () => {
    const envDb = join(dir, 'env.db')
    const env = { KEYWARD_DATABASE_URL: envDb }
    // Unlike patAuth(), the CLI does not migrate the environment's store on open: `keyward migrate` does.
    const unmigrated = await cli(['tokens', 'create', '--user', 'u1', '--name', 'from env'], {
      env,
      cwd: dir,
    })
    expect(unmigrated.code).toBe(3)
    expect(unmigrated.stdout).toBe('')
    expect(unmigrated.stderr).toContain('The database is not migrated')
    expect(unmigrated.stderr).toContain('Run `keyward migrate`')
    expect((await cli(['migrate'], { env, cwd: dir })).code).toBe(0)
    const created = await cli(['tokens', 'create', '--user', 'u1', '--name', 'from env'], { env, cwd: dir })
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toContain(
      `keyward: using the environment (KEYWARD_DATABASE_URL): SQLite file ${envDb}`,
    )
    const token = created.stdout.trimEnd()
    expect(token).toMatch(/^kw_/)
    const check = await cli(['check', '--json'], { env, cwd: dir, stdin: token })
    expect(JSON.parse(check.stdout)).toMatchObject({ valid: true, userId: 'u1' })
    expect(check.stderr).not.toContain(token)
    // The environment's instance has no `sessions`: bump says what to use instead.
    const bump = await cli(['sessions', 'bump', '--user', 'u1'], { env, cwd: dir })
    expect(bump.code).toBe(3)
    expect(bump.stderr).toContain('keyward users cut-off')
  })

  it('the environment’s store not migrated: doctor fails on migrations (exit 1), check of a real token says to migrate (exit 3)', async () => {
    const env = { KEYWARD_DATABASE_URL: join(dir, 'env-unmigrated.db') }
    const doctor = await cli(['doctor', '--no-hasher'], { env, cwd: dir })
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toMatch(
      new RegExp(
        `^FAIL +migrations +${SQLITE_VERSIONS.length} migration\\(s\\) pending on sqlite .*run \`keyward migrate\``,
        'm',
      ),
    )
    expect(doctor.stderr).toContain('checks failed')
    const status = await cli(['migrate', '--status', '--json'], { env, cwd: dir })
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: [], current: false })
    // A well-formed token of the default prefix, minted on a migrated database of the same app.
    const other = { KEYWARD_DATABASE_URL: join(dir, 'env-minted.db') }
    await cli(['migrate', '-q'], { env: other, cwd: dir })
    const token = (
      await cli(['tokens', 'create', '--user', 'u1', '--name', 'x'], { env: other, cwd: dir })
    ).stdout.trim()
    const check = await cli(['check'], { env, cwd: dir, stdin: token })
    expect(check.code).toBe(3)
    expect(check.stderr).toContain('The database is not migrated')
    expect(check.stderr).not.toContain(token)
  })

  it('doctor against an unreachable Postgres: exit 1, the store check saying what to check', async () => {
    const env = { KEYWARD_DATABASE_URL: 'postgres://postgres@127.0.0.1:9/nowhere' }
    const doctor = await cli(['doctor', '--no-hasher'], { env, cwd: dir })
    expect(doctor.code).toBe(1)
    expect(doctor.stdout).toMatch(
      /^FAIL +store +the store did not answer: .*ECONNREFUSED.*Check KEYWARD_DATABASE_URL/m,
    )
    expect(doctor.stdout).toMatch(/^skip +migrations +not checked: the store could not be reached/m)
    const json = JSON.parse((await cli(['doctor', '--no-hasher', '--json'], { env, cwd: dir })).stdout)
    expect(json.ok).toBe(false)
    expect(json.checks[0]).toMatchObject({
      name: 'store',
      status: 'fail',
      detail: expect.stringContaining('ECONNREFUSED'),
    })
  })

  it('refuses without any configuration, creating no database', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'))
    const result = await cli(['tokens', 'list', '--user', 'u1'], { cwd: empty })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('No configuration')
    expect(existsSync(join(empty, 'keyward.db'))).toBe(false)
  })

  it('a config that is not a Keyward instance, or that throws, is exit 3 with what to export', async () => {
    const wrong = await cli(['scopes', '--config', 'fixtures/not-keyward.config.ts'])
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toContain('is not a Keyward instance')
    const broken = await cli(['scopes', '--config', 'fixtures/broken.config.ts', '--debug'])
    expect(broken.code).toBe(3)
    expect(broken.stderr).toContain('broken on purpose')
    expect(broken.stderr).toContain('broken.config.ts:')
  })

  it('--debug on a config in a CommonJS package names the file and line, never the module’s source', async () => {
    // tsx runs such a module from a data: URL that holds its whole source, secrets and all.
    const broken = await cli(['scopes', '--config', 'fixtures/commonjs/broken-secret.config.ts', '--debug'])
    expect(broken.code).toBe(3)
    expect(broken.stderr).toContain('broken on purpose')
    expect(broken.stderr).not.toContain('cli-test-sentinel-secret')
    expect(broken.stderr).not.toContain('data:')
    expect(broken.stderr).toMatch(/fixtures\/commonjs\/broken-secret\.config\.ts:\d+:\d+/)
  })

  it('a config whose top-level await never settles: exit 4 with what happened, not a silent 13', async () => {
    const stuck = await cli(['scopes', '--config', 'fixtures/never-settles.config.ts'])
    expect(stuck.code).toBe(4)
    expect(stuck.stderr).toContain('never settled')
  })

  it.skipIf(!existsSync('/dev/full'))(
    'a new token that cannot be written to stdout (disk full) is revoked at once: exit 4, nobody holds a live token',
    async () => {
      const env = { CLI_TEST_SQLITE_PATH: path }
      const full = openSync('/dev/full', 'w')
      try {
        const created = await cli(
          ['--config', CONFIG, 'tokens', 'create', '--user', 'full', '--name', 'lost'],
          {
            env,
            stdoutFd: full,
          },
        )
        expect(created.code).toBe(4)
        expect(created.stderr).toContain('could not be written to stdout (ENOSPC)')
        expect(created.stderr).toContain('revoked')
        expect(created.stderr).not.toContain('    at ')
      } finally {
        closeSync(full)
      }
      const listed = await cli(['--config', CONFIG, 'tokens', 'list', '--user', 'full', '--json'], { env })
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({ name: 'lost', status: 'revoked' }),
      ])
      // A listing that cannot be written is a failure too, not a silent exit 0.
      const fullAgain = openSync('/dev/full', 'w')
      try {
        const listing = await cli(['--config', CONFIG, 'tokens', 'list', '--user', 'full'], {
          env,
          stdoutFd: fullAgain,
        })
        expect(listing.code).toBe(4)
        expect(listing.stderr).toContain('stdout')
      } finally {
        closeSync(fullAgain)
      }
    },
  )

  it('an unreachable store is exit 4, with what to check', async () => {
    const result = await cli(['tokens', 'list', '--user', 'u1'], {
      env: { KEYWARD_DATABASE_URL: 'postgres://postgres@127.0.0.1:9/nowhere' },
      cwd: dir,
    })
    expect(result.code).toBe(4)
    expect(result.stderr).toContain('Check that the database is up')
  })

  it('runs as `npx keyward` where the package is installed: bin field, shebang, executable', async () => {
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
      bin: Record<string, string>
      version: string
    }
    expect(Object.keys(manifest.bin)).toEqual(['keyward'])
    const target = join(PACKAGE, manifest.bin.keyward as string)
    expect(readFileSync(target, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    // What npm does on install: a link in node_modules/.bin named after the bin field.
    const app = mkdtempSync(join(dir, 'app-'))
    mkdirSync(join(app, 'node_modules', '.bin'), { recursive: true })
    symlinkSync(target, join(app, 'node_modules', '.bin', 'keyward'))
    const version = execFileSync('npm', ['exec', '--offline', '--no', '--', 'keyward', '--version'], {
      cwd: app,
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(version.trim()).toBe(manifest.version)
  })
})
