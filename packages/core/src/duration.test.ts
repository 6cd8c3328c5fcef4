import { describe, expect, it } from 'vitest'
import { toMilliseconds } from './duration.js'

describe('toMilliseconds', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['500ms', 500],
    ['1.5s', 1500],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['90d', 7_776_000_000],
    ['2w', 1_209_600_000],
  ] as const)('%j is %d ms', (input, expected) => {
    expect(toMilliseconds(input, 'ttl')).toBe(expected)
  })

  it.each([['10 minutes'], ['-1s'], [-5], [Number.NaN], ['1y'], ['']])(
    'rejects %j with a clear error',
    (input) => {
      expect(() => toMilliseconds(input as never, 'cache.ttl')).toThrow(/cache\.ttl/)
    },
  )
})
