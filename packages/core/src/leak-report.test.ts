import { describe, expect, it, vi } from 'vitest'
import { isKeywardError } from './errors.js'
import { isRealToken, LEAKED_REASON, revokeLeakedToken, revokeLeakedTokens } from './leak-report.js'
import { sqliteBackend, wrongSecret } from './testing/backends.js'
import { leakTestInstance } from './testing/leak-instance.js'
import { checksum } from './token-format.js'

const bearer = (token: string) => `Bearer ${token}`
const DAY = 86_400_000

/** The same token with its last character changed: a bad checksum. */
const badChecksum = (token: string) => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')

const backend = sqliteBackend()

async function setup() {
  const { kw, clock, reads } = await leakTestInstance(backend)
  const mint = (expiresIn: `${number}d` = '30d') => kw.tokens.create({ userId: 'ada', name: 'ci', expiresIn })
  return { kw, clock, mint, reads }
}

describe('tokens.identify()', () => {
  it('gives the record of a real token whatever its state, and null for anything else', async () => {
    const { kw, clock, mint } = await setup()
    const active = await mint()
    const revoked = await mint()
    const expiring = await mint('1d')
    await kw.tokens.revoke(revoked.record.id, { reason: 'owner' })
    clock.advance(2 * DAY)
    expect(await kw.tokens.identify(active.token)).toMatchObject({ id: active.record.id, status: 'active' })
    expect(await kw.tokens.identify(revoked.token)).toMatchObject({
      id: revoked.record.id,
      status: 'revoked',
    })
    expect(await kw.tokens.identify(expiring.token)).toMatchObject({
      id: expiring.record.id,
      status: 'expired',
    })
    expect(await kw.tokens.identify(wrongSecret(active.token, 1))).toBeNull()
    expect(await kw.tokens.identify(badChecksum(active.token))).toBeNull()
    expect(await kw.tokens.identify(`other${active.token.slice(4)}`)).toBeNull()
    expect(await kw.tokens.identify('')).toBeNull()
    await kw.close()
  })

  it('refuses a non-string, and answers `closed` once the instance is closed', async () => {
    const { kw, mint } = await setup()
    const { token } = await mint()
    await expect(kw.tokens.identify(42 as never)).rejects.toMatchObject({ code: 'invalid_argument' })
    await kw.close()
    const error = await kw.tokens.identify(token).catch((caught: unknown) => caught)
    expect(isKeywardError(error) && error.code).toBe('closed')
  })
})

describe('revokeLeakedToken()', () => {
  it('revokes a real active token with the reason `leaked`: it stops authenticating, cached or not', async () => {
    const { kw, mint } = await setup()
    const { token, record } = await mint()
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    const verdict = await revokeLeakedToken(kw, token)
    expect(verdict).toMatchObject({ outcome: 'revoked', tokenId: record.id })
    expect(isRealToken(verdict)).toBe(true)
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'revoked', revokedReason: LEAKED_REASON })
    expect(await kw.authenticate(bearer(token))).toMatchObject({
      ok: false,
      error: { code: 'invalid_token' },
    })
    await kw.close()
  })

  it('leaves a token revoked before as it was: a real token all the same', async () => {
    const { kw, clock, mint } = await setup()
    const { token, record } = await mint()
    await kw.tokens.revoke(record.id, { reason: 'owner' })
    const before = await kw.tokens.get(record.id)
    clock.advance(60_000)
    const verdict = await revokeLeakedToken(kw, token)
    expect(verdict).toMatchObject({ outcome: 'already_revoked', tokenId: record.id })
    expect(isRealToken(verdict)).toBe(true)
    expect(await kw.tokens.get(record.id)).toEqual(before)
    await kw.close()
  })

  it('marks an expired token leaked: real, and revoked now', async () => {
    const { kw, clock, mint } = await setup()
    const { token, record } = await mint('1d')
    clock.advance(2 * DAY)
    expect(await revokeLeakedToken(kw, token)).toMatchObject({ outcome: 'revoked', tokenId: record.id })
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'revoked', revokedReason: LEAKED_REASON })
    await kw.close()
  })

  it('ends a rotated token at once, grace period or not; its successor keeps working', async () => {
    const { kw, mint } = await setup()
    const old = await mint()
    const rotated = await kw.tokens.rotate(old.record.id, { gracePeriod: '1h' })
    expect((await kw.authenticate(bearer(old.token))).ok).toBe(true)
    expect(await revokeLeakedToken(kw, old.token)).toMatchObject({ outcome: 'revoked' })
    expect((await kw.authenticate(bearer(old.token))).ok).toBe(false)
    expect((await kw.authenticate(bearer(rotated.token))).ok).toBe(true)
    await kw.close()
  })

  it('does not revoke on a real id with another secret: unknown, and the real token goes on', async () => {
    const { kw, mint } = await setup()
    const { token, record } = await mint()
    const forged = wrongSecret(token, 7)
    const verdict = await revokeLeakedToken(kw, forged)
    expect(verdict).toEqual({ outcome: 'unknown', tokenId: record.id })
    expect(isRealToken(verdict)).toBe(false)
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active', revokedReason: null })
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    await kw.close()
  })

  it('takes a reason of the reporter’s in place of `leaked`, checked before anything is read', async () => {
    const { kw, mint, reads } = await setup()
    const { token, record } = await mint()
    for (const [options, message] of [
      [{ reason: '' }, /reason must be a non-empty string/],
      [{ reason: 7 }, /reason must be a non-empty string/],
      [{ why: 'x' }, /Unknown revokeLeakedToken\(\) option "why"/],
      ['leaked', /options must be an object/],
    ] as const) {
      await expect(revokeLeakedToken(kw, token, options as never)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(message),
      })
    }
    expect(reads()).toBe(0)
    const verdict = await revokeLeakedToken(kw, token, { reason: 'pasted in a public issue' })
    expect(verdict).toMatchObject({ outcome: 'revoked', tokenId: record.id })
    expect(await kw.tokens.get(record.id)).toMatchObject({ revokedReason: 'pasted in a public issue' })
    expect(await revokeLeakedToken(kw, token, { reason: 'pasted in a public issue' })).toMatchObject({
      outcome: 'already_revoked',
    })
    await kw.close()
  })

  it('answers not_ours for junk, another prefix and a bad checksum without reading the store', async () => {
    const { kw, mint, reads } = await setup()
    const { token } = await mint()
    const foreignBody = `other_${token.slice(5, -6)}`
    const cases = [
      ['not a token', 'malformed'],
      [foreignBody + checksum(foreignBody), 'malformed'],
      [`acmf${token.slice(4, -6)}${checksum(`acmf${token.slice(4, -6)}`)}`, 'wrong_prefix'],
      [badChecksum(token), 'bad_checksum'],
      ['x'.repeat(10_000), 'too_long'],
    ] as const
    for (const [reported, reason] of cases) {
      expect(await revokeLeakedToken(kw, reported)).toEqual({ outcome: 'not_ours', reason })
    }
    expect(reads()).toBe(0)
    expect((await kw.authenticate(bearer(token))).ok).toBe(true)
    await kw.close()
  })

  it('a well-formed token of an id never stored is unknown', async () => {
    const { kw, mint } = await setup()
    const { token } = await mint()
    const body = `acme_${'0'.repeat(22)}${token.slice(27, -6)}`
    expect(await revokeLeakedToken(kw, body + checksum(body))).toEqual({
      outcome: 'unknown',
      tokenId: '0'.repeat(22),
    })
    await kw.close()
  })
})

describe('revokeLeakedTokens()', () => {
  it('decides each distinct token once, in order', async () => {
    const { kw, mint, reads } = await setup()
    const a = await mint()
    const b = await mint()
    const verdicts = await revokeLeakedTokens(kw, [a.token, 'junk', a.token, b.token])
    expect([...verdicts.keys()]).toEqual([a.token, 'junk', b.token])
    expect([...verdicts.values()].map((verdict) => verdict.outcome)).toEqual([
      'revoked',
      'not_ours',
      'revoked',
    ])
    expect(reads()).toBe(2)
    await kw.close()
  })
})

describe('a leak reported through another copy of the core', () => {
  it('still announces token.leaked through the instance that revoked it', async () => {
    // An adapter that resolved its own copy of @keyward/core, or a linked package: its
    // revokeLeakedToken is not the module that created the instance.
    vi.resetModules()
    const copy = (await import('./leak-report.js')) as typeof import('./leak-report.js')
    expect(copy.revokeLeakedToken).not.toBe(revokeLeakedToken)
    const { kw, mint } = await setup()
    const leaked: unknown[] = []
    kw.events.on('token.leaked', (event) => void leaked.push(event.token.id))
    const { token, record } = await mint()
    expect(await copy.revokeLeakedToken(kw, token)).toMatchObject({ outcome: 'revoked' })
    expect(leaked).toEqual([record.id])
    await kw.close()
  })

  it('announces through a view of the instance (Object.create, as the CLI gives its commands)', async () => {
    const { kw, mint } = await setup()
    const leaked: unknown[] = []
    kw.events.on('token.leaked', (event) => void leaked.push(event.token.id))
    const { token, record } = await mint()
    expect(await revokeLeakedToken(Object.create(kw) as typeof kw, token)).toMatchObject({
      outcome: 'revoked',
    })
    expect(leaked).toEqual([record.id])
    await kw.close()
  })
})

describe('a leak whose revocation other processes could not be told of', () => {
  it('still fires token.leaked (the revocation stands), then throws invalidation_unconfirmed', async () => {
    const bus = {
      async publish() {
        throw new Error('bus down')
      },
      async subscribe() {},
      async close() {},
    }
    const { kw } = await leakTestInstance(backend, { bus })
    const seen: Array<[string, boolean]> = []
    kw.events.on('token.leaked', (event) => void seen.push([event.token.id, event.revokedNow]))
    const { token, record } = await kw.tokens.create({ userId: 'ada', name: 'ci' })
    await expect(revokeLeakedToken(kw, token)).rejects.toMatchObject({ code: 'invalidation_unconfirmed' })
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'revoked', revokedReason: LEAKED_REASON })
    expect(seen).toEqual([[record.id, true]])
    await kw.close()
  })
})
