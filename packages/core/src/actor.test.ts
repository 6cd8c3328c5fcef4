import { describe, expect, it } from 'vitest'
import { DEFAULT_ACTOR, fitForActor, MAX_USER_AGENT, requireActor } from './actor.js'

describe('actors', () => {
  it('completes and freezes a valid actor; none is the unattributed admin', () => {
    const actor = requireActor({ kind: 'user', id: 'ada', address: '192.0.2.1' })
    expect(actor).toEqual({ kind: 'user', id: 'ada', address: '192.0.2.1', userAgent: null })
    expect(Object.isFrozen(actor)).toBe(true)
    expect(requireActor(undefined)).toBe(DEFAULT_ACTOR)
    expect(DEFAULT_ACTOR).toEqual({ kind: 'admin', id: null, address: null, userAgent: null })
    expect(requireActor({ kind: 'system', id: null })).toMatchObject({ id: null })
  })

  it('refuses what an audit row could not hold, precisely', () => {
    const refusals: Array<[unknown, RegExp]> = [
      [null, /actor must be an object/],
      ['admin', /actor must be an object/],
      [{ id: 'x' }, /actor.kind must be one of user, token, admin, cli, system; got undefined/],
      [{ kind: 'root' }, /got "root"/],
      [{ kind: 'user', name: 'x' }, /actor has no field "name"/],
      [{ kind: 'user', id: '' }, /actor.id must be a non-empty string/],
      [{ kind: 'user', id: 'x'.repeat(256) }, /actor.id/],
      [{ kind: 'user', address: 7 }, /actor.address/],
      [{ kind: 'user', address: 'x'.repeat(101) }, /at most 100/],
      [{ kind: 'user', userAgent: 'x'.repeat(MAX_USER_AGENT + 1) }, /at most 512/],
      [{ kind: 'user', userAgent: 'a\u0000b' }, /without NUL/],
      [{ kind: 'user', userAgent: '\uD800' }, /well-formed/],
    ]
    for (const [value, message] of refusals) {
      expect(() => requireActor(value)).toThrow(
        expect.objectContaining({ code: 'invalid_argument', message: expect.stringMatching(message) }),
      )
    }
  })

  it('fits a client-sent header: cut, made well-formed, NUL replaced; empty is null', () => {
    expect(fitForActor(undefined, 10)).toBeNull()
    expect(fitForActor('', 10)).toBeNull()
    expect(fitForActor('x'.repeat(20), 10)).toBe('x'.repeat(10))
    // A pair cut in half is not left as a lone surrogate.
    expect(fitForActor('abcdefghi\uD83D\uDE00', 10)).toBe('abcdefghi\uFFFD')
    expect(fitForActor('a\u0000b', 10)).toBe('a\uFFFDb')
    expect(() =>
      requireActor({ kind: 'user', userAgent: fitForActor('\uD800'.repeat(600), MAX_USER_AGENT) }),
    ).not.toThrow()
  })
})
