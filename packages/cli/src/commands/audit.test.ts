import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type Keyward, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { captureIo } from '../../fixtures/capture-io.js'
import { parseCommandLine } from '../args.js'
import type { CommandContext } from '../command.js'
import { createOutput } from '../io.js'
import { auditCommand } from './audit.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-audit-'))
const instances: Keyward[] = []
afterAll(async () => {
  await Promise.all(instances.map((kw) => kw.close()))
  rmSync(dir, { recursive: true, force: true })
})

let files = 0
async function instance(audit = true): Promise<Keyward> {
  const store = sqliteStore({ path: join(dir, `${++files}.db`) })
  await store.migrate()
  const kw = createKeyward({
    store,
    hasher: sha256Hasher(),
    logger: { warn: () => {} },
    audit,
  })
  instances.push(kw)
  return kw
}

/** `keyward audit <argv>` against `kw`, in process. */
async function audit(kw: Keyward, argv: string[]) {
  const { io, written } = captureIo()
  const { args } = parseCommandLine(auditCommand, argv)
  const context: CommandContext = {
    io,
    output: createOutput(io, { quiet: false }),
    args,
    name: 'keyward audit',
    quiet: false,
    keyward: async () => kw,
  }
  return { code: await auditCommand.run(context), ...written }
}

describe('keyward audit', () => {
  it('prints the entries newest first, filtered by user, token or action; --json for scripts', async () => {
    const kw = await instance()
    const { record, token } = await kw.tokens.create({
      userId: 'ada',
      name: 'ci',
      actor: { kind: 'user', id: 'ada', address: '192.0.2.1' },
    })
    await kw.tokens.revoke(record.id, { reason: 'rotated out', actor: { kind: 'cli', id: 'ops' } })
    await kw.tokens.create({ userId: 'bob', name: 'other' })

    const table = await audit(kw, ['--user', 'ada'])
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^AT\s+ACTION\s+ACTOR\s+USER\s+TOKEN\s+ADDRESS\s+DETAIL$/)
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(1, 4))).toEqual([
      ['token.revoked', 'cli:ops', 'ada'],
      ['token.created', 'user:ada', 'ada'],
    ])
    expect(table.stdout).toContain('192.0.2.1')
    expect(table.stdout).toContain('{"reason":"rotated out"}')
    expect(table.stdout).not.toContain(token.slice(-49))

    const json = await audit(kw, ['--token', record.id, '--action', 'token.revoked', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        action: 'token.revoked',
        tokenId: record.id,
        at: expect.stringMatching(/Z$/),
        actor: { kind: 'cli', id: 'ops', address: null, userAgent: null },
        detail: { reason: 'rotated out' },
      }),
    ])

    const limited = await audit(kw, ['--limit', '1'])
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(limited.stderr).toContain('there are more')
  })

  it('says when there is nothing, and when the instance does not write the log', async () => {
    const quiet = await audit(await instance(false), [])
    expect([quiet.code, quiet.stdout]).toEqual([0, ''])
    expect(quiet.stderr).toContain('No audit entries.')
    expect(quiet.stderr).toContain('needs `audit: true`')
  })

  it('refuses a bad --limit before opening anything, and passes the core’s refusals on', async () => {
    await expect(audit(await instance(), ['--limit', '0'])).rejects.toMatchObject({ exitCode: 2 })
    await expect(audit(await instance(), ['--action', 'token.deleted'])).rejects.toMatchObject({
      code: 'invalid_argument',
    })
  })
})
