import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { captureIo } from '../fixtures/capture-io.js'
import { COMMANDS } from './commands/index.js'
import { packageVersion, run } from './main.js'

const SENTINEL = `clitest_${'A'.repeat(22)}_${'Z'.repeat(49)}`
const empty = mkdtempSync(join(tmpdir(), 'keyward-cli-'))
afterAll(() => rmSync(empty, { recursive: true, force: true }))

describe('run: help and usage, without any configuration', () => {
  it('keyward --help lists every command on stdout and exits 0', async () => {
    const { io, written } = captureIo()
    expect(await run(['--help'], io)).toBe(0)
    for (const command of COMMANDS) expect(written.stdout).toContain(command.path.join(' '))
    expect(written.stdout).toContain('Exit codes:')
    expect(written.stderr).toBe('')
  })

  it('every command has --help naming each of its options, before anything else is checked', async () => {
    for (const command of COMMANDS) {
      const { io, written } = captureIo()
      expect(await run([...command.path, '--bogus', '--help'], io)).toBe(0)
      expect(written.stdout.startsWith(`Usage: keyward ${command.path.join(' ')}`)).toBe(true)
      for (const option of Object.keys(command.options)) expect(written.stdout).toContain(`--${option}`)
      expect(written.stderr).toBe('')
    }
  })

  it('a group lists its commands', async () => {
    const { io, written } = captureIo()
    expect(await run(['tokens', '-h'], io)).toBe(0)
    expect(written.stdout).toContain('tokens revoke-all')
    expect(written.stdout).not.toContain('sessions bump')
  })

  it('--version prints the version', async () => {
    const { io, written } = captureIo()
    expect(await run(['--version'], io)).toBe(0)
    expect(written.stdout).toBe(`${packageVersion()}\n`)
  })

  it('a group or the root without a command is a usage error, its help on stderr', async () => {
    for (const argv of [[], ['tokens']]) {
      const { io, written } = captureIo()
      expect(await run(argv, io)).toBe(2)
      expect(written.stdout).toBe('')
      expect(written.stderr).toContain('Commands:')
      expect(written.stderr).toMatch(/error: keyward( tokens)?: name/)
    }
  })

  it('an unknown command is named, with the help to run', async () => {
    const { io, written } = captureIo()
    expect(await run(['tokens', 'crate'], io)).toBe(2)
    expect(written.stderr).toBe(
      'error: keyward tokens: unknown command "crate".\nRun `keyward tokens --help` for its commands.\n',
    )
    const root = captureIo()
    expect(await run(['--bogus'], root.io)).toBe(2)
    expect(root.written.stderr).toContain('unknown option --bogus')
  })

  it('a group or the root given an option without its value says so (not "unknown option -c,")', async () => {
    for (const argv of [['-c'], ['tokens', '--config']]) {
      const { io, written } = captureIo()
      expect(await run(argv, io)).toBe(2)
      expect(written.stderr).toMatch(/^error: keyward( tokens)?: (-c|--config) needs a value\.$/m)
    }
  })

  it('a token given where none is read is refused without being echoed', async () => {
    for (const argv of [
      ['check', SENTINEL],
      [SENTINEL],
      ['tokens', 'show', SENTINEL],
      ['tokens', 'revoke', SENTINEL],
    ]) {
      const { io, written } = captureIo()
      expect(await run(argv, io)).toBe(2)
      expect(written.stderr).not.toContain(SENTINEL)
      expect(written.stdout).toBe('')
    }
  })

  it('usage is checked before the configuration is looked for', async () => {
    const { io, written } = captureIo({ cwd: empty })
    expect(await run(['tokens', 'create', '--user', 'u1'], io)).toBe(2)
    expect(written.stderr).toContain('--name <name> is required')
    expect(
      await run(['tokens', 'create', '--user', 'u', '--name', 'n', '--expires-in', '1d', '--no-expiry'], io),
    ).toBe(2)
    expect(written.stderr).toContain('--expires-in and --no-expiry exclude each other')
    expect(written.stderr).not.toContain('configuration')
  })

  it('without any configuration (and no keyward.db) it refuses with exit 3 and creates nothing', async () => {
    const { io, written } = captureIo({ cwd: empty })
    expect(await run(['tokens', 'list', '--user', 'u1'], io)).toBe(3)
    expect(written.stderr).toContain('No configuration')
    expect(written.stderr).toContain('KEYWARD_DATABASE_URL')
    expect(written.stdout).toBe('')
  })

  it('KEYWARD_CONFIG naming a missing file is a configuration error', async () => {
    const { io, written } = captureIo({ cwd: empty, env: { KEYWARD_CONFIG: 'nowhere.config.ts' } })
    expect(await run(['scopes'], io)).toBe(3)
    expect(written.stderr).toContain('KEYWARD_CONFIG names nowhere.config.ts, and there is no such file')
  })
})
