import { describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { manualClock } from './testing/backends.js'

const SECRET = 'a session secret of at least 32 bytes, for tests'

/** An instance whose store is never opened: every case here is decided before any I/O. */
function offline(sessions: boolean) {
  return createKeyward({
    // A store that never opens: a case that reached it would time out instead of passing.
    store: new Promise<never>(() => {}),
    clock: manualClock(),
    hasher: sha256Hasher(),
    logger: { warn: () => {} },
    ...(sessions ? { sessions: { secret: SECRET } } : {}),
  })
}

describe('every rejection counts in stats().rejections', () => {
  for (const sessions of [false, true]) {
    describe(sessions ? 'with sessions' : 'without sessions', () => {
      it('a token past the PAT length limit: token_too_long, counted once', async () => {
        const kw = offline(sessions)
        const result = await kw.check(`Bearer kw_${'a'.repeat(600)}`)
        expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } })
        expect(kw.stats().rejections.token_too_long).toBe(1)
      })

      it('a malformed header, a missing token, the wrong kind: each counted', async () => {
        const kw = offline(sessions)
        await kw.check(undefined)
        await kw.check('Bearer a@b')
        await kw.check(`Bearer kw_${'a'.repeat(20)}`, 'session')
        const { rejections } = kw.stats()
        expect(rejections.missing_token).toBe(1)
        expect(rejections.malformed_header).toBe(1)
        expect(rejections.wrong_kind).toBe(1)
      })

      it('a session cookie value handed over as a credential is counted like a header', async () => {
        const kw = offline(sessions)
        const result = await kw.checkCredential(`kw_${'a'.repeat(600)}`)
        expect(result.ok).toBe(false)
        expect(Object.values(kw.stats().rejections).reduce((a, b) => a + b, 0)).toBe(1)
      })
    })
  }
})
