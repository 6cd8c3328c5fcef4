import type { KeywardStats } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { propagationNote } from './propagation.js'

const withChannel = (channel: KeywardStats['invalidations']['channel'], fallbackBound = 600_000) => ({
  stats: () => ({ invalidations: { channel, fallbackBound } }) as KeywardStats,
})

describe('propagationNote', () => {
  it('names the channel and the fallback bound, in units a person reads', () => {
    expect(propagationNote(withChannel('postgres'))).toBe(
      'Running servers on this database are told at once by Postgres NOTIFY; a server that misses the message (its channel down) catches up within 10 min, its cache TTL.',
    )
    expect(propagationNote(withChannel('redis', 5000))).toContain('Redis pub/sub')
    expect(propagationNote(withChannel('redis', 5000))).toContain('within 5 s')
    expect(propagationNote(withChannel('sqlite', 1500))).toContain('next poll of its invalidation table')
    expect(propagationNote(withChannel('sqlite', 1500))).toContain('within 1.5 s')
    expect(propagationNote(withChannel('store', 250))).toContain('within 250 ms')
    expect(propagationNote(withChannel('local'))).toContain('no running server to tell')
    expect(propagationNote(withChannel('none', 600_000))).toBe(
      'This configuration has no invalidation channel: running servers catch up when their cache entries expire, within 10 min (cache.ttl).',
    )
  })
})
