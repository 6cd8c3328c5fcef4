import { describe, expect, it } from 'vitest'
import { runCommand } from '../../fixtures/run-command.js'
import { sqliteKeywards } from '../../fixtures/sqlite-keyward.js'
import { timeUntil } from '../records.js'
import { tokensExpiring } from './tokens-expiring.js'

const keywards = sqliteKeywards('expiring')

describe('timeUntil', () => {
  it('says how long, to the two largest units', () => {
    const now = Date.UTC(2030, 0, 1)
    const at = (minutes: number) => new Date(now + minutes * 60_000)
    expect(timeUntil(at(0.5), now)).toBe('<1m')
    expect(timeUntil(at(12), now)).toBe('12m')
    expect(timeUntil(at(60), now)).toBe('1h')
    expect(timeUntil(at(5 * 60 + 12), now)).toBe('5h 12m')
    expect(timeUntil(at(3 * 1440), now)).toBe('3d')
    expect(timeUntil(at(6 * 1440 + 23 * 60 + 59), now)).toBe('6d 23h')
  })
})

describe('keyward tokens expiring', () => {
  it('lists every user’s active tokens expiring within the window, soonest first, in a table or JSON', async () => {
    const { kw } = await keywards.create({ tokenLifetime: { allowNeverExpiring: true, maxLifetime: null } })
    const make = async (userId: string, expiresIn: `${number}d` | null) =>
      (await kw.tokens.create({ userId, name: `${userId} ${expiresIn}`, expiresIn })).record
    const threeDays = await make('alice', '3d')
    const oneDay = await make('bob', '1d')
    await make('alice', '10d')
    await make('carol', null)
    const revoked = await make('bob', '2d')
    await kw.tokens.revoke(revoked.id)

    const table = await runCommand(tokensExpiring, ['--within', '7d'], kw)
    expect(table.code, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID +USER +NAME +PREFIX +EXPIRES +IN$/)
    expect(lines[1]).toMatch(
      new RegExp(
        `^${oneDay.id} +bob +bob 1d +${oneDay.prefix} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ +(23h 59m|1d)$`,
      ),
    )
    expect(lines[2]).toMatch(new RegExp(`^${threeDays.id} +alice .* (2d 23h|3d)$`))
    expect(lines).toHaveLength(3)
    expect(table.stderr).toBe('2 active tokens expire within 7d.\n')

    const json = JSON.parse((await runCommand(tokensExpiring, ['--within', '7d', '--json'], kw)).stdout)
    expect(json.map((r: { id: string }) => r.id)).toEqual([oneDay.id, threeDays.id])
    expect(json[0]).toMatchObject({
      userId: 'bob',
      status: 'active',
      expiresAt: oneDay.expiresAt?.toISOString(),
    })

    const alice = await runCommand(tokensExpiring, ['--within', '30d', '--user', 'alice', '--json'], kw)
    expect(JSON.parse(alice.stdout).map((r: { name: string }) => r.name)).toEqual(['alice 3d', 'alice 10d'])
    const none = await runCommand(tokensExpiring, ['--within', '1h'], kw)
    expect(none.stdout).toBe('')
    expect(none.stderr).toBe('No active token expires within 1h.\n')
  })

  it('reads every page by cursor, or stops at --limit and says there are more', async () => {
    const { kw } = await keywards.create()
    for (let i = 0; i < 130; i++) {
      await kw.tokens.create({ userId: `u${i % 3}`, name: `t${i}`, expiresIn: `${i + 1}h` })
    }
    const all = JSON.parse((await runCommand(tokensExpiring, ['--within', '7d', '--json'], kw)).stdout)
    expect(all.map((r: { name: string }) => r.name)).toEqual(Array.from({ length: 130 }, (_, i) => `t${i}`))
    const limited = await runCommand(tokensExpiring, ['--within', '7d', '--limit', '2', '--json'], kw)
    expect(JSON.parse(limited.stdout).map((r: { name: string }) => r.name)).toEqual(['t0', 't1'])
    expect(limited.stderr).toContain('there are more: raise --limit')
  })

  it('refuses a bad window or limit, naming the flag', async () => {
    const { kw } = await keywards.create()
    const soon = await runCommand(tokensExpiring, ['--within', 'soon'], kw)
    expect(soon.code).toBe(2)
    expect(soon.hint).toBe('Fix --within on the command line; nothing was changed.')
    expect((await runCommand(tokensExpiring, ['--within', '7d', '--limit', '0'], kw)).code).toBe(2)
    const missing = await runCommand(tokensExpiring, [], kw)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--within <duration> is required')
  })
})
