import { describe, expect, it } from 'vitest'
import { manualClock } from './testing/backends.js'
import { RateLimitedWarning } from './warnings.js'

describe('RateLimitedWarning', () => {
  it('logs the first failure, then at most one summary per interval, and the recovery', () => {
    const clock = manualClock()
    const lines: string[] = []
    const warning = new RateLimitedWarning({
      logger: { warn: (line) => lines.push(line) },
      clock,
      subject: 'store',
      interval: 10_000,
    })
    warning.recovered()
    expect(lines).toEqual([])
    warning.failure('authentication: ECONNREFUSED')
    for (let i = 0; i < 1233; i++) {
      clock.advance(5)
      warning.failure('authentication: timeout')
    }
    expect(lines).toEqual(['store error during authentication: ECONNREFUSED'])
    clock.advance(10_000)
    warning.failure('a cache refresh: timeout')
    expect(lines[1]).toBe(
      'store unavailable: 1,234 more failure(s) in the last 16 s (latest during a cache refresh: timeout)',
    )
    warning.failure('authentication: timeout')
    expect(lines.length).toBe(2)
    warning.recovered()
    expect(lines.slice(2)).toEqual([
      'store unavailable: 1 more failure(s) in the last 1 s (latest during authentication: timeout)',
      'store reachable again',
    ])
    warning.recovered()
    warning.failure('authentication: again')
    expect(lines.length).toBe(5)
    expect(lines[4]).toBe('store error during authentication: again')
  })
})
