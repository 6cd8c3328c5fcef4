import { describe, expect, it } from 'vitest'
import { MAX_METADATA_BYTES, ownerOf, requireExpiry, requireMetadata, requireText } from './input.js'

const NOW = Date.UTC(2030, 0, 1)

describe('input rules', () => {
  it('takes well-formed text and refuses lone surrogates, NUL, empty, long and non-strings', () => {
    expect(requireText('ada', 'userId')).toBe('ada')
    expect(requireText('\u{1f600}', 'userId')).toBe('\u{1f600}')
    expect(() => requireText('a\ud800', 'userId')).toThrow(/userId must be well-formed text/)
    expect(() => requireText('\udfffa', 'name')).toThrow(/name must be well-formed text/)
    expect(() => requireText('a\u0000', 'reason')).toThrow(/reason must not contain the NUL/)
    for (const bad of ['', 'x'.repeat(256), 7, null, undefined]) {
      expect(() => requireText(bad, 'userId')).toThrow(expect.objectContaining({ code: 'invalid_argument' }))
    }
  })

  it('reads an owner only when the key is there, and then insists on a user id', () => {
    expect(ownerOf({})).toBeUndefined()
    expect(ownerOf({ reason: 'x' })).toBeUndefined()
    expect(ownerOf({ userId: 'ada' })).toBe('ada')
    for (const userId of [undefined, null, '', 3]) {
      expect(() => ownerOf({ userId })).toThrow(/userId/)
    }
  })

  it('copies metadata through JSON and limits it to 4 KiB', () => {
    expect(requireMetadata({ a: 1, d: new Date(0) })).toEqual({ a: 1, d: '1970-01-01T00:00:00.000Z' })
    const limit = { s: 'x'.repeat(MAX_METADATA_BYTES - 8) }
    expect(JSON.stringify(limit)).toHaveLength(MAX_METADATA_BYTES)
    expect(requireMetadata(limit)).toEqual(limit)
    expect(() => requireMetadata({ s: `${limit.s}x` })).toThrow(/at most 4096 bytes as JSON; got 4097/)
    // Bytes, not characters.
    expect(() => requireMetadata({ s: 'é'.repeat(2100) })).toThrow(/4096 bytes/)
    expect(() => requireMetadata({ n: 1n })).toThrow(/serialisable/)
    expect(() => requireMetadata({ toJSON: () => 1 })).toThrow(/JSON object/)
    for (const bad of [null, [], 'x']) expect(() => requireMetadata(bad)).toThrow(/plain object/)
  })

  it('bounds expiries to 100 years ahead', () => {
    expect(requireExpiry({}, NOW)).toBeNull()
    expect(requireExpiry({ expiresIn: null }, NOW)).toBeNull()
    expect(requireExpiry({ expiresIn: '1h' }, NOW)).toBe(NOW + 3_600_000)
    expect(() => requireExpiry({ expiresIn: '100000000d' }, NOW)).toThrow(/100 years/)
    expect(() => requireExpiry({ expiresAt: new Date(8.64e15) }, NOW)).toThrow(/100 years from now/)
    expect(() => requireExpiry({ expiresAt: new Date(Number.NaN) }, NOW)).toThrow(/valid Date/)
    expect(() => requireExpiry({ expiresAt: new Date(NOW) }, NOW)).toThrow(/already be expired/)
    expect(() => requireExpiry({ expiresAt: new Date(NOW + 1), expiresIn: '1h' }, NOW)).toThrow(/not both/)
  })
})
