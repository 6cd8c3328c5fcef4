import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createKeyward, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { captureIo } from '../fixtures/capture-io.js'
import { cliActor } from './cli-actor.js'
import { run } from './main.js'

const AUDIT_CONFIG = fileURLToPath(new URL('../fixtures/audit.config.ts', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-actor-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the CLI as the actor of its management calls', () => {
  it('an audit row made by `keyward tokens revoke` names the CLI and the OS user', async () => {
    const path = join(dir, 'audit.db')
    process.env.CLI_TEST_SQLITE_PATH = path
    const kw = createKeyward({
      store: sqliteStore({ path }),
      tokenPrefix: 'clitest',
      hasher: sha256Hasher(),
      audit: true,
    })
    try {
      await kw.migrations.apply()
      const { record } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
      const { io, written } = captureIo()
      expect(await run(['tokens', 'revoke', record.id, '--config', AUDIT_CONFIG], io)).toBe(0)
      expect(written.stderr).toContain(`Revoked token ${record.id}`)
      const { entries } = await kw.audit.page({ tokenId: record.id, action: 'token.revoked' })
      expect(entries.map((entry) => entry.actor)).toEqual([
        { kind: 'cli', id: userInfo().username, address: null, userAgent: null },
      ])
    } finally {
      await kw.close()
    }
  })

  it('is the OS user name; else $USER, $LOGNAME or %USERNAME%; else no id', () => {
    const throws = () => {
      throw Object.assign(new Error('no passwd entry for uid 1234'), { code: 'ENOENT' })
    }
    const named = (username: string) => () => ({ username })
    expect(cliActor({}, named('ops'))).toEqual({ kind: 'cli', id: 'ops' })
    expect(cliActor({ USER: 'deploy' }, throws)).toEqual({ kind: 'cli', id: 'deploy' })
    expect(cliActor({ LOGNAME: 'deploy' }, throws)).toEqual({ kind: 'cli', id: 'deploy' })
    expect(cliActor({ USERNAME: 'Ada' }, throws)).toEqual({ kind: 'cli', id: 'Ada' })
    expect(cliActor({}, throws)).toEqual({ kind: 'cli', id: null })
    // A name an actor id cannot hold (empty, too long, a control character) is no name.
    expect(cliActor({ USER: '' }, throws)).toEqual({ kind: 'cli', id: null })
    expect(cliActor({ USER: 'x'.repeat(256) }, named(''))).toEqual({ kind: 'cli', id: null })
    expect(cliActor({ USER: 'ops' }, named('a\u0000b'))).toEqual({ kind: 'cli', id: 'ops' })
    expect(cliActor({}, named('a\u001b[2Jb'))).toEqual({ kind: 'cli', id: null })
  })
})
