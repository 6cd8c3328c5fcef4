import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { testRedis } from '@keyward/test-kit'
import { afterAll, describe, expect, it } from 'vitest'
import { captureIo } from '../fixtures/capture-io.js'
import { CliError } from './cli-error.js'
import { describeEnvironment, loadConfigFile, loadConfiguration, locateConfig } from './config.js'
import { assertKeyward } from './keyward-shape.js'

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-config-'))
const redis = await testRedis()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function configFailure(error: unknown): CliError {
  expect(error).toBeInstanceOf(CliError)
  expect((error as CliError).exitCode).toBe(3)
  return error as CliError
}

describe('locateConfig', () => {
  it('prefers --config, then KEYWARD_CONFIG, then keyward.config.{ts,mts,js,mjs} in that order', () => {
    const here = mkdtempSync(join(dir, 'locate-'))
    expect(locateConfig(undefined, { cwd: here, env: {} })).toBeNull()
    writeFileSync(join(here, 'keyward.config.mjs'), '')
    expect(locateConfig(undefined, { cwd: here, env: {} })?.path).toBe(join(here, 'keyward.config.mjs'))
    writeFileSync(join(here, 'keyward.config.ts'), '')
    expect(locateConfig(undefined, { cwd: here, env: {} })).toEqual({
      path: join(here, 'keyward.config.ts'),
      from: 'directory',
    })
    writeFileSync(join(here, 'env.mjs'), '')
    writeFileSync(join(here, 'flag.mjs'), '')
    expect(locateConfig(undefined, { cwd: here, env: { KEYWARD_CONFIG: 'env.mjs' } })).toEqual({
      path: join(here, 'env.mjs'),
      from: 'KEYWARD_CONFIG',
    })
    expect(locateConfig('flag.mjs', { cwd: here, env: { KEYWARD_CONFIG: 'env.mjs' } })).toEqual({
      path: join(here, 'flag.mjs'),
      from: '--config',
    })
  })

  it('refuses a named file that is not there', () => {
    let caught: unknown
    try {
      locateConfig('missing.ts', { cwd: dir, env: {} })
    } catch (error) {
      caught = error
    }
    expect(configFailure(caught).message).toBe(
      `--config names missing.ts, and there is no such file (looked in ${dir}).`,
    )
  })
})

describe('loadConfigFile', () => {
  it('loads a TypeScript config with top-level await, without a build step', async () => {
    process.env.CLI_TEST_SQLITE_PATH = join(dir, 'ts.db')
    const kw = await loadConfigFile({ path: join(FIXTURES, 'keyward.config.ts'), from: '--config' }, dir)
    try {
      expect(kw.tokenPrefix).toBe('clitest')
      expect(kw.scopes.map((s) => s.name)).toEqual(['repo:read', 'repo:write'])
    } finally {
      await kw.close()
    }
  })

  it('loads a JavaScript config exporting `keyward` as a function', async () => {
    process.env.CLI_TEST_SQLITE_PATH = join(dir, 'js.db')
    const kw = await loadConfigFile({ path: join(FIXTURES, 'plain.config.mjs'), from: '--config' }, dir)
    expect(kw.tokenPrefix).toBe('plainjs')
    await kw.close()
  })

  it('refuses, naming the file and what to export: no export, a wrong export, a module that throws', async () => {
    const load = (file: string) =>
      loadConfigFile({ path: join(FIXTURES, file), from: '--config' }, FIXTURES).then(
        () => {
          throw new Error('expected a refusal')
        },
        (error: unknown) => configFailure(error),
      )
    expect((await load('no-export.config.ts')).message).toBe(
      'no-export.config.ts exports neither `default` nor `keyward` (it exports kw, settings).',
    )
    const wrong = await load('not-keyward.config.ts')
    expect(wrong.message).toBe(
      'not-keyward.config.ts is not a Keyward instance: it has no scopes, authenticate, credentialKind, stats and 10 more.',
    )
    expect(wrong.hint).toContain('export default kw')
    const broken = await load('broken.config.ts')
    expect(broken.message).toBe(
      'broken.config.ts could not be loaded: the app configuration is broken on purpose',
    )
    expect(broken.cause).toBeInstanceOf(Error)
  })
})

describe('loadConfigFile in a CommonJS package (tsx compiles the .ts to CommonJS)', () => {
  const load = (file: string) =>
    loadConfigFile({ path: join(FIXTURES, 'commonjs', file), from: '--config' }, FIXTURES)

  it('calls a default-exported function for the instance, as in an ES module', async () => {
    process.env.CLI_TEST_SQLITE_PATH = join(dir, 'cjs.db')
    const kw = await load('factory.config.ts')
    expect(kw.tokenPrefix).toBe('cjsts')
    await kw.close()
  })

  it('names what the module exports, and says how to use a top-level await', async () => {
    const failure = (file: string) => load(file).then(() => null, configFailure)
    expect((await failure('no-export.config.ts'))?.message).toBe(
      'commonjs/no-export.config.ts exports neither `default` nor `keyward` (it exports kw).',
    )
    const awaiting = await failure('top-level-await.config.ts')
    expect(awaiting?.message).toMatch(
      /^commonjs\/top-level-await\.config\.ts could not be loaded: .*Top-level await is currently not supported with the "cjs" output format/,
    )
    expect(awaiting?.hint).toContain('.mts')
  })
})

describe('assertKeyward', () => {
  it('says what it got instead', () => {
    for (const [value, what] of [
      [null, 'null'],
      [42, 'number'],
      [[], 'an array'],
    ] as const) {
      let caught: unknown
      try {
        assertKeyward(value, 'app.ts')
      } catch (error) {
        caught = error
      }
      expect(configFailure(caught).message).toMatch(
        new RegExp(`^app\\.ts (gives ${what}, not|is not) a Keyward instance`),
      )
    }
  })
})

describe('describeEnvironment', () => {
  it('says which database the environment names, without its password', () => {
    expect(describeEnvironment({}, '/srv/app')).toBe(
      'the environment (KEYWARD_DATABASE_URL): SQLite file /srv/app/keyward.db',
    )
    expect(
      describeEnvironment(
        { KEYWARD_DATABASE_URL: 'postgres://app:pw@db/prod', KEYWARD_REDIS_URL: 'redis://:pw@cache:6379' },
        '/srv/app',
      ),
    ).toBe(
      'the environment (KEYWARD_DATABASE_URL): Postgres postgres://app:***@db/prod, Redis redis://:***@cache:6379',
    )
  })
})

describe('loadConfiguration from the environment', () => {
  it('opens the store of KEYWARD_DATABASE_URL without migrating it', async () => {
    const { io } = captureIo({ env: { KEYWARD_DATABASE_URL: join(dir, 'env-status.db') }, cwd: dir })
    const { keyward, source } = await loadConfiguration(undefined, io)
    try {
      expect(source).toBe(`the environment (KEYWARD_DATABASE_URL): SQLite file ${join(dir, 'env-status.db')}`)
      expect(await keyward.migrations.status()).toMatchObject({ applied: [], current: false })
      expect((await keyward.propagation()).channel).toBe('sqlite')
    } finally {
      await keyward.close()
    }
  })

  it.skipIf(redis === null)(
    'adds Redis from KEYWARD_REDIS_URL as the shared level, as patAuth() does',
    async () => {
      const env = { KEYWARD_DATABASE_URL: join(dir, 'env-redis.db'), KEYWARD_REDIS_URL: redis?.url ?? '' }
      const { io } = captureIo({ env, cwd: dir })
      const { keyward } = await loadConfiguration(undefined, io)
      try {
        await keyward.migrations.apply()
        // Reads only: the propagation and the doctor's Redis probe write no key.
        expect((await keyward.propagation()).channel).toBe('redis')
        const report = await keyward.doctor({ hasher: false })
        expect(report.checks.find((check) => check.name === 'shared-cache')?.status).toBe('ok')
      } finally {
        await keyward.close()
      }
    },
  )
})
