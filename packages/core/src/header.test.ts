import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseAuthorization } from './header.js'

const ok = (credential: string) => ({ ok: true, credential })
const fail = (error: string) => ({ ok: false, error })

describe('parseAuthorization (RFC 6750 §2.1)', () => {
  it.each([
    ['Bearer abc', ok('abc')],
    ['bearer abc', ok('abc')],
    ['BEARER abc', ok('abc')],
    ['Bearer    abc', ok('abc')],
    ['  Bearer abc  ', ok('abc')],
    ['Bearer a-b.c_d~e+f/g==', ok('a-b.c_d~e+f/g==')],
  ])('accepts %j', (header, expected) => {
    expect(parseAuthorization(header)).toEqual(expected)
  })

  it.each([
    [undefined, 'missing_token'],
    [null, 'missing_token'],
    ['', 'missing_token'],
    ['   ', 'missing_token'],
    ['Basic dXNlcjpwYXNz', 'missing_token'],
    ['BearerX abc', 'missing_token'],
    ['Token abc', 'missing_token'],
    ['Bearer', 'malformed_header'],
    ['Bearer\tabc', 'malformed_header'],
    ['Bearer abc def', 'multiple_credentials'],
    ['Bearer abc, Bearer def', 'multiple_credentials'],
    ['Bearer abc,def', 'multiple_credentials'],
    ['Bearer ab=c', 'malformed_header'],
    ['Bearer abç', 'malformed_header'],
    ['Bearer ab\u0000c', 'malformed_header'],
    ['Bearer "abc"', 'malformed_header'],
    [`Bearer ${'a'.repeat(256)}`, 'token_too_long'],
    [`Bearer ${'a'.repeat(8192)}`, 'token_too_long'],
    [`Basic ${'a'.repeat(8192)}`, 'missing_token'],
    [', Bearer abc', 'multiple_credentials'],
    ['Bearer abc, ', 'multiple_credentials'],
    ['Basic eA==, Bearer abc', 'multiple_credentials'],
    ['Digest username="a", realm="b"', 'missing_token'],
    ['Bearer é', 'malformed_header'],
  ])('rejects %j as %s', (header, error) => {
    expect(parseAuthorization(header)).toEqual(fail(error))
  })

  it('rejects two header lines, and reads one line given as a list', () => {
    expect(parseAuthorization(['Bearer a', 'Bearer b'])).toEqual(fail('multiple_credentials'))
    expect(parseAuthorization(['', 'Bearer b'])).toEqual(fail('multiple_credentials'))
    expect(parseAuthorization(['Bearer a', ''])).toEqual(fail('multiple_credentials'))
    expect(parseAuthorization(['Basic x', 'Bearer b'])).toEqual(fail('multiple_credentials'))
    expect(parseAuthorization(['Bearer a'])).toEqual(ok('a'))
    expect(parseAuthorization([])).toEqual(fail('missing_token'))
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 2000 }), fc.string({ unit: 'binary', maxLength: 300 })),
        (h) => {
          expect(typeof parseAuthorization(h).ok).toBe('boolean')
          expect(typeof parseAuthorization(`Bearer ${h}`).ok).toBe('boolean')
        },
      ),
    )
  })
})

describe('parseAuthorization runs in linear time', () => {
  // Sessions allow credentials up to 16384 characters, so headers up to 16448 are scanned.
  const MAX = 16_384
  const units = [' ', '\t', ' \t', '=', ',', ', ', ',\t', 'a', 'a=', '+', ' ,', '.']
  const heads = ['Bearer ', 'Bearer a', 'Bearer a,', ' \t', 'bearer ,', ',', 'Bearer a=']
  const tails = ['', 'x', '!', ' ', '=', ',', ', Bearer x', '\u00e9']
  const header = (head: string, unit: string, tail: string, length: number) =>
    head + unit.repeat(Math.ceil(length / unit.length)) + tail

  const timeOf = (value: string, rounds: number) => {
    const started = performance.now()
    for (let i = 0; i < rounds; i++) parseAuthorization(value, MAX)
    return (performance.now() - started) / rounds
  }
  /**
   * Cost per parse at 8 times the length over the cost at 1, the same number of characters scanned
   * on both sides. Noise on a shared machine only adds time, so each side keeps its least of several
   * interleaved samples, and a ratio over the bound is measured again (at most 3 times): a quadratic
   * parser stays near 64 however often it is measured, a linear one near 8.
   */
  const costRatio = (small: string, large: string) => {
    let ratio = Number.POSITIVE_INFINITY
    for (let attempt = 0; attempt < 3 && ratio >= 24; attempt++) {
      let bestSmall = Number.POSITIVE_INFINITY
      let bestLarge = Number.POSITIVE_INFINITY
      for (let s = 0; s < 7; s++) {
        bestLarge = Math.min(bestLarge, timeOf(large, 10))
        bestSmall = Math.min(bestSmall, timeOf(small, 80))
      }
      ratio = bestLarge / Math.max(bestSmall, 1e-5)
    }
    return ratio
  }

  it('costs about 8 times as much at 8 times the length, for adversarial shapes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...heads),
        fc.constantFrom(...units),
        fc.constantFrom(...tails),
        (head, unit, tail) => {
          const small = header(head, unit, tail, 2_000)
          const large = header(head, unit, tail, 16_000)
          // A quadratic parser fails here at once rather than after seconds of rounds.
          const once = Math.min(timeOf(large, 1), timeOf(large, 1), timeOf(large, 1))
          expect(once, JSON.stringify({ head, unit, tail })).toBeLessThan(20)
          timeOf(small, 20)
          // Linear is about 8; quadratic is about 64. Fixed costs only pull the ratio down.
          expect(costRatio(small, large), JSON.stringify({ head, unit, tail })).toBeLessThan(24)
        },
      ),
      { numRuns: 20 },
    )
  })

  it('parses a 16 KB adversarial header in a few milliseconds at most', () => {
    for (const head of heads) {
      for (const unit of units) {
        const value = header(head, unit, 'x', MAX + 40)
        // The best of three, so that a pause of the shared machine is not taken for the parser's.
        let best = Number.POSITIVE_INFINITY
        for (let attempt = 0; attempt < 3; attempt++) {
          const started = performance.now()
          parseAuthorization(value, MAX)
          best = Math.min(best, performance.now() - started)
        }
        // The quadratic trim took about 200 ms on a run of spaces this long.
        expect(best, JSON.stringify({ head, unit })).toBeLessThan(20)
      }
    }
  })
})
