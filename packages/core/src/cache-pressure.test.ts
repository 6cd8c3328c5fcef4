import { describe, expect, it } from 'vitest'
import { CachePressureWarning, EARLY_EVICTIONS_ALLOWED, PRESSURE_INTERVAL } from './cache-pressure.js'
import { manualClock } from './testing/backends.js'

function warningWith() {
  const clock = manualClock(1_000_000)
  const lines: string[] = []
  const warning = new CachePressureWarning({
    logger: { warn: (line) => lines.push(line) },
    max: 10_000,
    ttl: 600_000,
  })
  return { clock, lines, warning }
}

describe('CachePressureWarning', () => {
  it('says nothing while early evictions stay within the allowance of an interval', () => {
    const { clock, lines, warning } = warningWith()
    warning.observe(0, clock.now())
    for (let minute = 0; minute < 5; minute++) {
      clock.advance(PRESSURE_INTERVAL / 2)
      warning.observe((minute + 1) * EARLY_EVICTIONS_ALLOWED, clock.now())
      clock.advance(PRESSURE_INTERVAL / 2)
      warning.observe((minute + 1) * EARLY_EVICTIONS_ALLOWED, clock.now())
    }
    expect(lines).toEqual([])
  })

  it('warns once an interval is past the allowance, with the numbers to size by, then at most once per interval', () => {
    const { clock, lines, warning } = warningWith()
    warning.observe(0, clock.now())
    clock.advance(10_000)
    warning.observe(EARLY_EVICTIONS_ALLOWED + 1, clock.now())
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('101 live entries evicted in 10 s')
    expect(lines[0]).toContain('cache.max 10,000')
    // 101 per 10 s is about 6,060 per 10-minute TTL on top of the 10,000 held.
    expect(lines[0]).toContain('about 17,000')
    for (let i = 2; i < 50; i++) {
      clock.advance(1000)
      warning.observe(i * 1000, clock.now())
    }
    expect(lines).toHaveLength(1)
    // A new interval starts at the next look, and counts from there.
    clock.advance(PRESSURE_INTERVAL)
    warning.observe(100_000, clock.now())
    clock.advance(1000)
    warning.observe(100_000 + EARLY_EVICTIONS_ALLOWED, clock.now())
    expect(lines).toHaveLength(1)
    warning.observe(100_001 + EARLY_EVICTIONS_ALLOWED, clock.now())
    expect(lines).toHaveLength(2)
  })
})
