import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '@keyward/core/sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { binaryCases } from '../fixtures/binary-cases.js'
import { assertBuilt, CONFIG, cli, PACKAGE } from '../fixtures/harness.js'

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
