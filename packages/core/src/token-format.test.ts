import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BASE62_ALPHABET,
  checksum,
  encodeBase62,
  generateToken,
  parseToken,
  TOKEN_REGEX,
  tokenPattern,
} from './token-format.js'

const prefixArb = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/)

describe('token format', () => {
  it('round-trips: a generated token parses back to its id and secret', () => {
    fc.assert(
      fc.property(prefixArb, (prefix) => {
        const { token, id, secret } = generateToken(prefix)
        expect(token).toMatch(tokenPattern(prefix))
        expect(token).toMatch(TOKEN_REGEX)
        expect(parseToken(token, prefix)).toEqual({ ok: true, token: { id, secret } })
      }),
      { numRuns: 200 },
    )
  })

  it('rejects any single-character change by checksum or shape', () => {
    const { token } = generateToken('myapp')
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: token.length - 1 }),
        fc.constantFrom(...BASE62_ALPHABET, '_', '-', '.'),
        (index, replacement) => {
          fc.pre(token[index] !== replacement)
          const changed = token.slice(0, index) + replacement + token.slice(index + 1)
          expect(parseToken(changed, 'myapp').ok).toBe(false)
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('uses random, fixed-width ids and secrets', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => generateToken('kw').id))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{22}$/)
    expect(generateToken('kw').secret).toMatch(/^[0-9A-Za-z]{43}$/)
  })

  it('encodes fixed-width base62 and a 6-character CRC32', () => {
    expect(encodeBase62(new Uint8Array([0, 0]), 3)).toBe('000')
    expect(encodeBase62(new Uint8Array([255]), 2)).toBe('47')
    expect(encodeBase62(new Uint8Array(32).fill(255), 43)).toHaveLength(43)
    expect(checksum('')).toBe('000000')
    expect(checksum('myapp_abc')).toMatch(/^[0-9A-Za-z]{6}$/)
  })

  it('names why a string is not a token, without throwing', () => {
    const { token } = generateToken('myapp')
    expect(parseToken('x'.repeat(256), 'myapp')).toEqual({ ok: false, reason: 'too_long' })
    expect(parseToken('', 'myapp')).toEqual({ ok: false, reason: 'malformed' })
    expect(parseToken(token.replace('myapp', 'other'), 'myapp')).toEqual({
      ok: false,
      reason: 'wrong_prefix',
    })
    expect(
      parseToken(
        token.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
        'myapp',
      ),
    ).toEqual({
      ok: false,
      reason: 'bad_checksum',
    })
    expect(parseToken(`${token.slice(0, -1)}é`, 'myapp')).toEqual({ ok: false, reason: 'malformed' })
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (input) => parseToken(input, 'myapp').ok === false))
  })

  it('finds tokens in text for secret scanners', () => {
    const { token } = generateToken('myapp')
    expect(`export TOKEN=${token}\n`.match(tokenPattern('myapp', 'g'))).toEqual([token])
    expect(() => tokenPattern('My-App')).toThrow(/tokenPrefix/)
  })
})
