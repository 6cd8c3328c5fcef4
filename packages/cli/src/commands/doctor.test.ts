import { describe, expect, it } from 'vitest'
import { runCommand } from '../../fixtures/run-command.js'
import { sqliteKeywards } from '../../fixtures/sqlite-keyward.js'
import { SQLITE_LATEST, SQLITE_VERSIONS } from '../../fixtures/sqlite-schema.js'
import { doctorCommand } from './doctor.js'

const keywards = sqliteKeywards('doctor')
const CHECKS = ['store', 'migrations', 'deployment-key', 'invalidation-channel', 'shared-cache', 'hasher']

describe('keyward doctor', () => {
  it('lists each check with ok/warn/FAIL/skip, its time and detail; exit 0 when none failed', async () => {
    const { kw } = await keywards.create()
    const run = await runCommand(doctorCommand, [], kw)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^STATUS +CHECK +MS +DETAIL$/)
    expect(lines.slice(1).map((line) => line.split(/ +/)[1])).toEqual(CHECKS)
    expect(lines[1]).toMatch(/^ok +store +[\d.]+ +reachable: one read took/)
    expect(lines[2]).toMatch(
      new RegExp(`^ok +migrations +current on sqlite, at version ${SQLITE_LATEST}\\.$`),
    )
    expect(lines[5]).toMatch(/^skip +shared-cache +no Redis shared cache is configured\.$/)
    expect(lines[6]).toMatch(/^ok +hasher +[\d.]+ +sha256/)
    expect(run.stderr).toBe('Every check passed.\n')
  })

  it('marks with ✓ ! ✗ - on a terminal that takes colours, with words under NO_COLOR', async () => {
    const { kw } = await keywards.create()
    const coloured = await runCommand(doctorCommand, ['--no-hasher'], kw, { tty: true })
    expect(coloured.stdout).toContain('✓')
    expect(coloured.stdout).toContain('\u001b[')
    const plain = await runCommand(doctorCommand, ['--no-hasher'], kw, { tty: true, env: { NO_COLOR: '1' } })
    expect(plain.stdout).not.toContain('✓')
    expect(plain.stdout).toMatch(/^skip +hasher +not measured/m)
  })

  it('on a database never migrated, exit 1, the migrations check saying to run keyward migrate; --json', async () => {
    const { kw } = await keywards.create({ migrate: false })
    const run = await runCommand(doctorCommand, ['--no-hasher'], kw)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(
      new RegExp(
        `^FAIL +migrations +${SQLITE_VERSIONS.length} migration\\(s\\) pending on sqlite .*run \`keyward migrate\``,
        'm',
      ),
    )
    expect(run.stderr).toMatch(/^\d checks failed: each detail says what to do\.$/m)
    const json = JSON.parse((await runCommand(doctorCommand, ['--no-hasher', '--json'], kw)).stdout)
    expect(json.ok).toBe(false)
    expect(json.checks.map((c: { name: string }) => c.name)).toEqual(CHECKS)
    expect(json.checks[1]).toEqual({
      name: 'migrations',
      status: 'fail',
      detail: expect.stringContaining('keyward migrate'),
    })
    expect(json.checks[0]).toMatchObject({ name: 'store', status: 'ok', ms: expect.any(Number) })
  })

  it('refuses a bad --timeout, naming the flag', async () => {
    const { kw } = await keywards.create()
    const run = await runCommand(doctorCommand, ['--timeout', 'soon'], kw)
    expect(run.code).toBe(2)
    expect(run.hint).toBe('Fix --timeout on the command line; nothing was changed.')
  })
})
