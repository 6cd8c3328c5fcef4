import { describe, expect, it } from 'vitest'
import { isKeywardError } from './errors.js'
import { createGuard } from './http.js'
import { assertKnownKeys, integerOption } from './option-checks.js'

const thrown = (run: () => unknown): unknown => {
  try {
    run()
  } catch (error) {
    return error
  }
  return undefined
}

describe('option checks', () => {
  it('an unknown key is refused in the owner words, with the known ones listed', () => {
    const error = thrown(() =>
      assertKnownKeys({ a: 1, typo: 2 }, new Set(['a', 'b']), (key) => `thing: unknown option "${key}"`),
    )
    expect(isKeywardError(error) && error.code).toBe('invalid_option')
    expect((error as Error).message).toBe('thing: unknown option "typo" (known: a, b).')
  })

  it('whole numbers: positive by default, or from a minimum', () => {
    expect(integerOption(3, 'n')).toBe(3)
    expect(() => integerOption(0, 'n')).toThrow(/n must be a positive integer; got 0/)
    expect(() => integerOption(1.5, 'n')).toThrow(/positive integer/)
    expect(() => integerOption('3', 'n')).toThrow(/positive integer/)
    expect(integerOption(0, 'q', 0)).toBe(0)
    expect(() => integerOption(-1, 'q', 0)).toThrow(/q must be a non-negative integer/)
    expect(() => integerOption(8, 'm', 1024)).toThrow(/m must be an integer of at least 1024/)
  })

  it("patAuth()'s bad options are KeywardErrors, as the docs say, not TypeErrors", () => {
    for (const bad of [
      { optinal: true },
      { realm: '' },
      { accept: 'both' },
      { csrf: { trustedOrigin: [] } },
    ]) {
      const error = thrown(() => createGuard(bad as never))
      expect(isKeywardError(error) && error.code).toBe('invalid_option')
      expect(error).not.toBeInstanceOf(TypeError)
    }
  })
})
