import {
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
} from 'jose'
import { describe, expect, it } from 'vitest'
import { argon2Hasher } from './hashing.js'
import { createKeyward, type KeywardOptions } from './keyward.js'
import { backends, manualClock } from './testing/backends.js'

const SECRET = 'a-session-secret-of-at-least-32-bytes!!'
const secretKey = new TextEncoder().encode(SECRET)
const bearer = (token: string) => `Bearer ${token}`
/** The JOSE `typ` every session token carries. */
const SESSION_TYP = 'kw-session+jwt'

for (const backend of await backends()) {
  describe(`sessions on ${backend.name}`, () => {
    async function setup(
      sessions: KeywardOptions['sessions'] = { secret: SECRET },
      extra: Partial<KeywardOptions> = {},
    ) {
      const { store } = await backend.create()
      const clock = manualClock()
      const kw = createKeyward({
        store,
        clock,
        tokenPrefix: 'myapp',
        hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
        logger: { warn: () => {} },
        ...(sessions ? { sessions } : {}),
        ...extra,
      })
      /** A token signed with the real secret and whatever claims a test wants. */
      const forge = (claims: Record<string, unknown>, alg = 'HS256', key: Uint8Array = secretKey) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg, typ: SESSION_TYP })
          .setSubject('u1')
          .setIssuedAt(Math.floor(clock.now() / 1000))
          .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
          .sign(key)
      return { kw, store, clock, forge }
    }

    it('issues a token carrying the current version and authenticates it as a session principal', async () => {
      const { kw, clock } = await setup()
      const session = await kw.sessions.issue({ userId: 'u1', scopes: ['repo:read'], expiresIn: '1h' })
      expect(session.version).toBe(0)
      const result = await kw.authenticate(bearer(session.token))
      expect(result).toEqual({
        ok: true,
        principal: {
          kind: 'session',
          userId: 'u1',
          scopes: ['repo:read'],
          expiresAt: new Date(Math.floor((clock.now() + 3_600_000) / 1000) * 1000),
          sessionId: session.sessionId,
        },
      })
    })

    it('grants * when issued without scopes', async () => {
      const { kw } = await setup()
      const { token } = await kw.sessions.issue({ userId: 'u1' })
      expect(await kw.authenticate(bearer(token))).toMatchObject({ ok: true, principal: { scopes: ['*'] } })
    })

    it('bump logs the user out everywhere at once, leaves others and PATs alone', async () => {
      const { kw } = await setup()
      const old = await kw.sessions.issue({ userId: 'u1' })
      const other = await kw.sessions.issue({ userId: 'u2' })
      const pat = await kw.tokens.create({ userId: 'u1', name: 'cli' })
      expect((await kw.authenticate(bearer(old.token))).ok).toBe(true)
      expect(await kw.sessions.bump('u1')).toBe(1)
      expect(await kw.authenticate(bearer(old.token))).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect((await kw.authenticate(bearer(other.token))).ok).toBe(true)
      expect((await kw.authenticate(bearer(pat.token))).ok).toBe(true)
      const fresh = await kw.sessions.issue({ userId: 'u1' })
      expect(fresh.version).toBe(1)
      expect((await kw.authenticate(bearer(fresh.token))).ok).toBe(true)
      expect(kw.stats().rejections.stale_session).toBe(1)
    })

    it('refuses every malformed sv claim as invalid_token', async () => {
      const { kw, forge } = await setup()
      const bad = [
        {},
        { sv: '0' },
        { sv: 0.5 },
        { sv: -1 },
        { sv: 2 ** 53 },
        { sv: null },
        { sv: [0] },
        { sv: true },
        { sv: 1e300 },
      ]
      for (const claims of bad) {
        expect(await kw.authenticate(bearer(await forge(claims)))).toMatchObject({
          ok: false,
          error: { code: 'invalid_token', status: 401 },
        })
      }
      expect((await kw.authenticate(bearer(await forge({ sv: 0 })))).ok).toBe(true)
    })

    it('refuses a tampered signature, another key, alg none, algorithm confusion, expiry and nbf', async () => {
      const { kw, forge, clock } = await setup()
      const good = await forge({ sv: 0 })
      const [head, body, signature] = good.split('.')
      const flipped = `${head}.${body}.${signature?.startsWith('A') ? 'B' : 'A'}${signature?.slice(1)}`
      const otherKey = await forge({ sv: 0 }, 'HS256', new TextEncoder().encode('x'.repeat(40)))
      const hs512 = await forge({ sv: 0 }, 'HS512')
      const none = new UnsecuredJWT({ sv: 0 }).setSubject('u1').setExpirationTime('1h').encode()
      const noExp = await new SignJWT({ sv: 0 })
        .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYP })
        .setSubject('u1')
        .sign(secretKey)
      const notYet = await new SignJWT({ sv: 0 })
        .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYP })
        .setSubject('u1')
        .setNotBefore(Math.floor(clock.now() / 1000) + 600)
        .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
        .sign(secretKey)
      const expired = await kw.sessions.issue({ userId: 'u1', expiresIn: '1m' })
      clock.advance(60_000)
      for (const token of [flipped, otherKey, hs512, none, noExp, notYet, expired.token]) {
        expect(await kw.authenticate(bearer(token))).toMatchObject({
          ok: false,
          error: { code: 'invalid_token' },
        })
      }
    })

    it('reads a version ahead of its cache once more before refusing (a bump on another process)', async () => {
      const { kw, store, clock } = await setup()
      const elsewhere = createKeyward({ store, clock, tokenPrefix: 'myapp', sessions: { secret: SECRET } })
      const before = await kw.sessions.issue({ userId: 'u1' })
      expect((await kw.authenticate(bearer(before.token))).ok).toBe(true)
      // Straight in the store, as a process without a bus would: no message reaches `kw`.
      await store.bumpSessionVersion('u1', clock.now())
      const after = await elsewhere.sessions.issue({ userId: 'u1' })
      expect((await kw.authenticate(bearer(after.token))).ok).toBe(true)
      expect((await kw.authenticate(bearer(before.token))).ok).toBe(false)
      // issue() reads fresh, the first check fills the cache, the claim ahead of it reads fresh once.
      expect(kw.stats().sessions.versionReads).toBe(3)
    })

    it('reads the version of one user once for 500 concurrent requests on a cold cache', async () => {
      const { kw, forge } = await setup()
      const token = await forge({ sv: 0 })
      const results = await Promise.all(Array.from({ length: 500 }, () => kw.authenticate(bearer(token))))
      expect(results.every((r) => r.ok)).toBe(true)
      expect(kw.stats().sessions.versionReads).toBe(1)
    })

    it('caches versions for the configured TTL only', async () => {
      const { kw, clock } = await setup({ secret: SECRET, versionCache: { ttl: '60s' } })
      const { token } = await kw.sessions.issue({ userId: 'u1' })
      await kw.authenticate(bearer(token))
      const reads = kw.stats().sessions.versionReads
      clock.advance(60_000)
      await kw.authenticate(bearer(token))
      expect(kw.stats().sessions.versionReads).toBe(reads)
      clock.advance(1)
      await kw.authenticate(bearer(token))
      expect(kw.stats().sessions.versionReads).toBe(reads + 1)
    })

    it('answers unavailable when the version cannot be read and none is cached', async () => {
      const { kw, store, forge } = await setup()
      const token = await forge({ sv: 0 })
      await store.close()
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'unavailable', status: 503 },
      })
    })

    it('takes a custom verifier and still enforces sub, sv and exp on what it returns', async () => {
      const later = Math.floor(Date.UTC(2031, 0, 1) / 1000)
      const claims: Record<string, Record<string, unknown>> = {
        'v4.public.good': { sub: 'u1', sv: 0, scope: 'a b', exp: later },
        'v4.public.stale': { sub: 'u1', sv: 3, exp: later },
        'v4.public.nosv': { sub: 'u1', exp: later },
        'v4.public.noexp': { sub: 'u1', sv: 0 },
        'v4.public.expired': { sub: 'u1', sv: 0, exp: 1 },
        'v4.public.forever': { sub: 'u1', sv: 0, exp: 1e300 },
      }
      const { kw } = await setup({
        verify: (token) => {
          if (token === 'v4.public.throws') throw new Error('bad signature')
          return claims[token] ?? null
        },
      })
      expect(await kw.authenticate(bearer('v4.public.good'))).toMatchObject({
        ok: true,
        principal: { kind: 'session', userId: 'u1', scopes: ['a', 'b'], expiresAt: new Date(later * 1000) },
      })
      for (const token of [
        'v4.public.stale',
        'v4.public.nosv',
        'v4.public.expired',
        'v4.public.throws',
        'v4.public.none',
      ]) {
        expect(await kw.authenticate(bearer(token))).toMatchObject({
          ok: false,
          error: { code: 'invalid_token' },
        })
      }
      await expect(kw.sessions.issue({ userId: 'u1' })).rejects.toMatchObject({ code: 'invalid_option' })
    })

    it('a bump while version reads are in flight answers 200 or 401, never 503', async () => {
      const { kw, forge } = await setup()
      const token = await forge({ sv: 0 })
      const inFlight = Array.from({ length: 50 }, () => kw.authenticate(bearer(token)))
      await kw.sessions.bump('u1')
      const results = await Promise.all(inFlight)
      for (const r of results) if (!r.ok) expect(r.error.code).toBe('invalid_token')
      expect((await kw.authenticate(bearer(token))).ok).toBe(false)
      expect(kw.stats().rejections.unavailable).toBe(0)
    })

    it('refuses the wrong kind of credential for a route by its shape, with no I/O', async () => {
      const { kw } = await setup()
      const session = await kw.sessions.issue({ userId: 'u1' })
      const pat = await kw.tokens.create({ userId: 'u1', name: 'n' })
      const before = kw.stats()
      expect(await kw.check(bearer(session.token), 'pat')).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(await kw.check(bearer(pat.token), 'session')).toMatchObject({
        ok: false,
        error: { code: 'invalid_token' },
      })
      expect(kw.stats()).toMatchObject({
        storeReads: before.storeReads,
        sessions: { versionReads: before.sessions.versionReads },
        rejections: { wrong_kind: 2 },
      })
      expect(kw.credentialKind(pat.token)).toBe('pat')
      expect(kw.credentialKind(session.token)).toBe('session')
      expect(kw.credentialKind('junk')).toBeNull()
    })

    it('wraps a failed bump in a KeywardError without the driver’s text', async () => {
      const { kw, store } = await setup()
      await store.close()
      await expect(kw.sessions.bump('u1')).rejects.toMatchObject({ code: 'store_error' })
    })

    it('signs sessions with their own typ and refuses a JWT the same key signed for something else', async () => {
      const { kw, clock } = await setup()
      const { token } = await kw.sessions.issue({ userId: 'u1' })
      const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString())
      expect(header).toEqual({ alg: 'HS256', typ: SESSION_TYP })
      const signed = (typ?: string) =>
        new SignJWT({ sv: 0 })
          .setProtectedHeader(typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ })
          .setSubject('u1')
          .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
          .sign(secretKey)
      // An older version's sessions (typ JWT), another purpose's tokens, or none at all.
      for (const typ of ['JWT', 'at+jwt', undefined]) {
        expect((await kw.authenticate(bearer(await signed(typ)))).ok, String(typ)).toBe(false)
      }
      expect((await kw.authenticate(bearer(await signed(SESSION_TYP)))).ok).toBe(true)
      // A custom verifier decides alone.
      const custom = createKeyward({
        store: (await backend.create()).store,
        clock,
        sessions: { verify: () => ({ sub: 'u1', sv: 0, exp: Math.floor(clock.now() / 1000) + 60 }) },
      })
      expect((await custom.authenticate(bearer(await signed('JWT')))).ok).toBe(true)
    })

    it('grants the whole allow-list, never *, to a session issued without scopes', async () => {
      const { kw } = await setup({ secret: SECRET }, { scopes: ['repo:write', 'repo:read'] })
      const { token } = await kw.sessions.issue({ userId: 'u1' })
      expect(await kw.authenticate(bearer(token))).toMatchObject({
        ok: true,
        principal: { scopes: ['repo:read', 'repo:write'] },
      })
      await expect(kw.sessions.issue({ userId: 'u1', scopes: ['*'] })).rejects.toMatchObject({
        code: 'unknown_scope',
      })
    })

    it('refuses bad user ids, too many scopes and lifetimes beyond 100 years up front', async () => {
      const { kw } = await setup()
      for (const userId of ['a\ud800', 'a\u0000', '']) {
        for (const call of [
          () => kw.sessions.issue({ userId }),
          () => kw.sessions.bump(userId),
          () => kw.sessions.version(userId),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'invalid_argument' })
        }
      }
      const many = Array.from({ length: 101 }, (_, i) => `s${i}`)
      await expect(kw.sessions.issue({ userId: 'u1', scopes: many })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('100'),
      })
      await expect(kw.sessions.issue({ userId: 'u1', expiresIn: '100000000d' })).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining('100 years'),
      })
      expect(await kw.sessions.version('u1')).toBe(0)
    })

    it('signs with EdDSA and verifies with the public key or a JWKS', async () => {
      const { publicKey, privateKey } = await generateKeyPair('EdDSA')
      const { kw, store } = await setup({
        algorithm: 'EdDSA',
        privateKey,
        publicKey,
        issuer: 'https://app',
        audience: 'api',
      })
      const { token } = await kw.sessions.issue({ userId: 'u1' })
      expect((await kw.authenticate(bearer(token))).ok).toBe(true)
      const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), alg: 'EdDSA' }] })
      const verifier = createKeyward({
        store,
        tokenPrefix: 'myapp',
        sessions: { algorithm: 'EdDSA', jwks, issuer: 'https://app', audience: 'api' },
      })
      expect((await verifier.authenticate(bearer(token))).ok).toBe(true)
      const both = createKeyward({
        store,
        tokenPrefix: 'myapp',
        sessions: { algorithm: 'EdDSA', privateKey, jwks },
      })
      expect((await both.sessions.issue({ userId: 'u2' })).token).toMatch(/^ey/)
      const keysDown = createKeyward({
        store,
        tokenPrefix: 'myapp',
        logger: { warn: () => {} },
        sessions: {
          algorithm: 'EdDSA',
          jwks: createRemoteJWKSet(new URL('http://127.0.0.1:9/jwks'), { timeoutDuration: 500 }),
        },
      })
      expect(await keysDown.authenticate(bearer(token))).toMatchObject({
        ok: false,
        error: { code: 'unavailable' },
      })
      const wrongAudience = createKeyward({
        store,
        tokenPrefix: 'myapp',
        sessions: { algorithm: 'EdDSA', jwks, audience: 'other' },
      })
      expect((await wrongAudience.authenticate(bearer(token))).ok).toBe(false)
      // An HS256 token made with the public key's bytes as the secret must not pass (algorithm confusion).
      const confused = await new SignJWT({ sv: 0 })
        .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYP })
        .setSubject('u1')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(JSON.stringify(await exportJWK(publicKey))))
      expect((await verifier.authenticate(bearer(confused))).ok).toBe(false)
    })
  })
}

describe('session options', () => {
  it('are validated when createKeyward is called', () => {
    expect(() => createKeyward({ sessions: { secret: 'short' } })).toThrow(/at least 32 bytes/)
    expect(() => createKeyward({ sessions: {} })).toThrow(/exactly one/)
    expect(() => createKeyward({ sessions: { secret: SECRET, verify: () => null } })).toThrow(/exactly one/)
    expect(() => createKeyward({ sessions: { secret: SECRET, algorithm: 'EdDSA' } })).toThrow(/HS256/)
    expect(() => createKeyward({ sessions: { secret: SECRET, secrte: 1 } as never })).toThrow(
      /unknown option/,
    )
  })

  it('are required by the sessions API', async () => {
    await expect(createKeyward().sessions.issue({ userId: 'u' })).rejects.toMatchObject({
      code: 'invalid_option',
    })
  })
})
