import { describe, expect, it } from 'vitest'
import { localHits } from './scrape.js'

describe('localHits', () => {
  it('reads the in-process level of keyward_cache_hits_total, not the shared one', () => {
    const exposition = [
      '# HELP keyward_cache_hits_total Requests answered from a cache level.',
      '# TYPE keyward_cache_hits_total counter',
      'keyward_cache_hits_total{level="shared"} 7',
      'keyward_cache_hits_total{level="local"} 123456',
    ].join('\n')
    expect(localHits(exposition)).toBe(123456)
  })

  it('is null for an exposition without it', () => {
    expect(localHits('keyward_cache_misses_total{level="local"} 1\n')).toBeNull()
    expect(localHits('')).toBeNull()
  })
})
