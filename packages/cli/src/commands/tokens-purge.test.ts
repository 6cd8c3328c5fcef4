import { manualClock } from '@keyward/test-kit'
import { describe, expect, it } from 'vitest'
import { runCommand } from '../../fixtures/run-command.js'
import { sqliteKeywards } from '../../fixtures/sqlite-keyward.js'
import { tokensPurge } from './tokens-purge.js'

const keywards = sqliteKeywards('purge')
const DAY = 86_400_000

/**
 * A store with two tokens long past use (revoked 100 days ago, expired 99 days ago) and four that
 * must stay: active, revoked yesterday, and both sides of a rotation in its grace period.
 */
async function storeWithOldRows() {
  const clock = manualClock(Date.now() - 100 * DAY)
  const { kw } = await keywards.create({ clock })
  const old = await kw.tokens.create({ userId: 'u1', name: 'old revoked', expiresIn: '365d' })
  await kw.tokens.revoke(old.record.id)
  const expired = await kw.tokens.create({ userId: 'u1', name: 'old expired', expiresIn: '1d' })
  clock.advance(100 * DAY)
  const active = await kw.tokens.create({ userId: 'u2', name: 'active', expiresIn: '30d' })
  const recent = await kw.tokens.create({ userId: 'u2', name: 'revoked yesterday', expiresIn: '30d' })
  clock.advance(-DAY)
  await kw.tokens.revoke(recent.record.id)
  clock.advance(DAY)
  const rotated = await kw.tokens.create({ userId: 'u3', name: 'rotated', expiresIn: '30d' })
  const successor = await kw.tokens.rotate(rotated.record.id, { gracePeriod: '1h' })
  const gone = [old.record.id, expired.record.id]
  const staying = [active.record.id, recent.record.id, rotated.record.id, successor.record.id]
  const exists = async (ids: string[]) =>
    Promise.all(ids.map(async (id) => (await kw.tokens.get(id)) !== null))
  return { kw, gone, staying, exists }
}

describe('keyward tokens purge', () => {
  it('--dry-run counts what would go and deletes nothing', async () => {
    const { kw, gone, exists } = await storeWithOldRows()
    const dry = await runCommand(tokensPurge, ['--older-than', '90d', '--dry-run'], kw)
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toBe('')
    expect(dry.stderr).toMatch(
      /^2 tokens revoked or expired before \d{4}-\d\d-\d\dT[\d:.]+Z would be purged \(dry run: nothing was deleted\)\.\n$/,
    )
    const json = JSON.parse(
      (await runCommand(tokensPurge, ['--older-than', '90d', '--dry-run', '--json'], kw)).stdout,
    )
    expect(json).toEqual({ dryRun: true, purged: 2, before: expect.stringMatching(/Z$/) })
    expect(Date.now() - 90 * DAY - Date.parse(json.before)).toBeLessThan(60_000)
    expect(await exists(gone)).toEqual([true, true])
  })

  it('without --yes and without a terminal refuses with exit 2, saying to add --yes; nothing deleted', async () => {
    const { kw, gone, exists } = await storeWithOldRows()
    const refused = await runCommand(tokensPurge, ['--older-than', '90d'], kw)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('this would delete 2 tokens revoked or expired before')
    expect(refused.hint).toContain('Add --yes')
    expect(await exists(gone)).toEqual([true, true])
  })

  it('on a terminal asks on stderr: anything but yes keeps every row (exit 1), yes purges', async () => {
    const { kw, gone, staying, exists } = await storeWithOldRows()
    for (const answer of ['n\n', '\n', '']) {
      const declined = await runCommand(tokensPurge, ['--older-than', '90d'], kw, {
        stdin: answer,
        stdinTty: true,
      })
      expect(declined.code, JSON.stringify(answer)).toBe(1)
      expect(declined.stderr).toContain('? This cannot be undone. [y/N] ')
      expect(declined.stderr).toContain('Nothing was deleted.')
    }
    expect(await exists(gone)).toEqual([true, true])
    const confirmed = await runCommand(tokensPurge, ['--older-than', '90d'], kw, {
      stdin: 'yes\n',
      stdinTty: true,
    })
    expect(confirmed.code, confirmed.stderr).toBe(0)
    expect(confirmed.stdout).toBe('')
    expect(confirmed.stderr).toMatch(/Purged 2 tokens revoked or expired before \d{4}-[\d-]+T[\d:.]+Z\.\n$/)
    expect(await exists(gone)).toEqual([false, false])
    expect(await exists(staying)).toEqual([true, true, true, true])
  })

  it('--yes purges without asking, with a progress bar on a terminal; active and grace-period tokens stay', async () => {
    const { kw, gone, staying, exists } = await storeWithOldRows()
    const purged = await runCommand(tokensPurge, ['--older-than', '90d', '--yes', '--json'], kw, {
      tty: true,
    })
    expect(purged.code, purged.stderr).toBe(0)
    expect(JSON.parse(purged.stdout)).toEqual({
      dryRun: false,
      purged: 2,
      before: expect.stringMatching(/Z$/),
    })
    expect(purged.stderr).toContain('purge [########################] 100% 2/2')
    expect(purged.stderr).not.toContain('[y/N]')
    expect(await exists(gone)).toEqual([false, false])
    expect(await exists(staying)).toEqual([true, true, true, true])
    const nothing = await runCommand(tokensPurge, ['--older-than', '90d'], kw)
    expect(nothing.code).toBe(0)
    expect(nothing.stderr).toMatch(/: nothing to purge\.\n$/)
  })

  it('refuses an age under a day, naming the flag; nothing deleted', async () => {
    const { kw, gone, exists } = await storeWithOldRows()
    const short = await runCommand(tokensPurge, ['--older-than', '1h', '--yes'], kw)
    expect(short.code).toBe(2)
    expect(short.stderr).toContain("olderThan must be at least 1 day ('1d')")
    expect(short.hint).toBe('Fix --older-than on the command line; nothing was changed.')
    expect(await exists(gone)).toEqual([true, true])
  })
})
