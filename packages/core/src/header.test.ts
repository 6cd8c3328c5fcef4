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

  /** Median over a few samples of the time for `rounds` parses: robust to a noisy, shared machine. */
  const timeOf = (value: string, rounds: number) => {
    const samples: number[] = []
    for (let s = 0; s < 7; s++) {
      const started = performance.now()
      for (let i = 0; i < rounds; i++) parseAuthorization(value, MAX)
      samples.push(performance.now() - started)
    }
    return samples.sort((a, b) => a - b)[3] ?? 0
  }

  it('costs about 8 times as much at 8 times the length, for adversarial shapes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...heads),
        fc.constantFrom(...units),
        fc.constantFrom(...tails),
        (head, unit, tail) => {
          const small = header(head, unit, tail, 1_500)
          const large = header(head, unit, tail, 12_000)
          timeOf(small, 5)
          timeOf(large, 5)
          // Linear is about 8; quadratic is about 64. Fixed costs only pull the ratio down.
          const ratio = timeOf(large, 40) / Math.max(timeOf(small, 40), 0.05)
          expect(ratio, JSON.stringify({ head, unit, tail })).toBeLessThan(24)
        },
      ),
      { numRuns: 25 },
    )
  })

  it('parses a 16 KB adversarial header in a few milliseconds at most', () => {
    for (const head of heads) {
      for (const unit of units) {
        const value = header(head, unit, 'x', MAX + 40)
        parseAuthorization(value, MAX)
        const started = performance.now()
        parseAuthorization(value, MAX)
        // The quadratic trim took about 200 ms on a run of spaces this long.
        expect(performance.now() - started, JSON.stringify({ head, unit })).toBeLessThan(20)
      }
    }
  })
})
