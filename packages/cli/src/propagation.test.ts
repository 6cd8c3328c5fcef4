import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward, type Propagation, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { describeBound, propagationNote } from './propagation.js'

const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-propagation-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const of = (channel: Propagation['channel'], boundMs: number, fallbackMs = 600_000): Propagation => ({
  channel,
  boundMs,
  fallbackMs,
  description: '',
})

describe('describeBound', () => {
  it('says the bound kw.propagation() states, the channel, and the fallback, in units a person reads', () => {
    expect(describeBound(of('postgres', 1000))).toBe(
      'Running servers on this database refuse it within 1000 ms (Postgres NOTIFY); one whose channel is down, within 10 min (its cache TTL).',
    )
    expect(describeBound(of('redis', 1000, 600_000))).toContain('within 1000 ms (Redis pub/sub)')
    expect(describeBound(of('sqlite', 1250, 5000))).toBe(
      'Running servers on this SQLite file refuse it within 1250 ms (their poll of its invalidation table); one whose channel is down, within 5000 ms (its cache TTL).',
    )
    expect(describeBound(of('store', 1000, 90_000))).toContain("(the store's own invalidation bus)")
    expect(describeBound(of('store', 1000, 90_000))).toContain('within 90 s (its cache TTL)')
    expect(describeBound(of('local', 0, 0))).toContain('no running server to tell')
    expect(describeBound(of('none', 600_000))).toBe(
      'This configuration has no invalidation channel: running servers catch up when their cache entries expire, within 10 min (cache.ttl).',
    )
  })
})

describe('propagationNote', () => {
  it('reads the bound from the instance: a SQLite file gives its poll interval plus the delivery allowance', async () => {
    const kw = createKeyward({ store: sqliteStore({ path: join(dir, 'note.db') }), hasher: sha256Hasher() })
    try {
      await kw.migrations.apply()
      const propagation = await kw.propagation()
      expect(await propagationNote(kw)).toBe(describeBound(propagation))
      expect(await propagationNote(kw)).toContain(`within ${propagation.boundMs} ms`)
    } finally {
      await kw.close()
    }
  })

  it('never fails the command that made the change: an instance that cannot say gets a note saying so', async () => {
    const failing = { propagation: () => Promise.reject(new Error('store gone')) }
    expect(await propagationNote(failing)).toContain('could not be read from the store')
    expect(await propagationNote({} as never)).toContain('does not state the bound')
  })
})
