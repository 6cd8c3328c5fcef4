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

  it('refuses more than 100 years, which no Date deadline could hold, with the code asked for', () => {
    expect(toMilliseconds('36525d', 'ttl')).toBe(36_525 * 86_400_000)
    for (const input of ['100000000d', '36526d', 1e20, 8.64e15] as const) {
      expect(() => toMilliseconds(input, 'cache.ttl')).toThrow(/cache\.ttl must be at most 100 years/)
      expect(() => toMilliseconds(input, 'expiresIn', 'invalid_argument')).toThrow(
        expect.objectContaining({ code: 'invalid_argument' }),
      )
    }
  })
})
