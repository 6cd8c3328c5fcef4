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
