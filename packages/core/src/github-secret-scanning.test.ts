import { createHash, generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  assertEndpointPath,
  createSecretScanningHandler,
  type SecretScanningOptions,
  type SecretScanningRequest,
} from './github-secret-scanning.js'
import type { RawBody } from './route-bodies.js'
import { sqliteBackend } from './testing/backends.js'
import { leakTestInstance } from './testing/leak-instance.js'

/** The core handler with requests as an adapter describes them; the adapters' suite is in test-kit. */

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const KEY_ID = 'test-key-1'
const publicKeys = {
  public_keys: [
    { key_identifier: KEY_ID, key: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
  ],
}
const signed = (body: string) =>
  sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString('base64')
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

const backend = sqliteBackend()

async function setup(options: Omit<SecretScanningOptions, 'keyward' | 'publicKeys'> = {}) {
  const { kw, reads } = await leakTestInstance(backend)
  const handler = createSecretScanningHandler({ keyward: kw, publicKeys, ...options })
  let bodyReads = 0
  /** A request whose body is `body` (or what `readBody` answers), signed over `signedBody`. */
  const send = (
    body: string | RawBody,
    {
      signature = typeof body === 'string' ? signed(body) : 'MEUCIQ==',
      keyId = KEY_ID,
      method = 'POST',
    } = {},
  ) => {
    const headers: Record<string, string> = {
      'github-public-key-identifier': keyId,
      'github-public-key-signature': signature,
    }
    const request: SecretScanningRequest = {
      method,
      header: (name) => headers[name],
      readBody: async (maxBytes) => {
        bodyReads++
        if (typeof body !== 'string') return body
        const bytes = Buffer.from(body)
        return bytes.length > maxBytes ? { kind: 'too_large' } : { kind: 'bytes', bytes }
      },
    }
    return handler.handle(request)
  }
  const mint = () => kw.tokens.create({ userId: 'ada', name: 'ci' })
  return { kw, send, mint, reads, bodyReads: () => bodyReads }
}

const report = (...tokens: string[]) =>
  JSON.stringify(tokens.map((token) => ({ token, type: 'acme_pat', url: '', source: 'content' })))
const errorOf = (result: { response: { status: number; body: string } }) => [
  result.response.status,
  (JSON.parse(result.response.body) as { error: { code: string } }).error.code,
]

describe('createSecretScanningHandler()', () => {
  it('validates its options when called', () => {
    const refusals: Array<[unknown, RegExp]> = [
      [undefined, /takes an options object with `publicKeys`/],
      [{}, /`publicKeys` is required/],
      [{ publicKeys, maxToken: 1 }, /unknown option "maxToken"/],
      [{ publicKeys, maxTokens: 0 }, /maxTokens must be a positive integer; got 0/],
      [{ publicKeys, maxBodyBytes: 1.5 }, /maxBodyBytes must be a positive integer/],
      [{ publicKeys, keyward: {} }, /`keyward` must be an instance from createKeyward/],
      [{ publicKeys: [] }, /publicKeys is empty/],
    ]
    for (const [options, message] of refusals) {
      expect(() => createSecretScanningHandler(options as SecretScanningOptions)).toThrow(message)
    }
    expect(() => assertEndpointPath('github/x')).toThrow(/`path` must be a path such as/)
    expect(() => assertEndpointPath('/github/')).toThrow(/no trailing slash/)
    expect(() => assertEndpointPath('/github/secret-scanning')).not.toThrow()
  })

  it('revokes real tokens and answers one feedback per distinct token, by hash only', async () => {
    const { kw, send, mint } = await setup()
    const real = await mint()
    const body = report(real.token, 'junk', real.token)
    const result = await send(body)
    expect(result.response.status).toBe(200)
    expect(result.response.headers['Cache-Control']).toBe('no-store')
    expect(JSON.parse(result.response.body)).toEqual([
      { token_hash: sha256(real.token), token_type: 'acme_pat', label: 'true_positive' },
      { token_hash: sha256('junk'), token_type: 'acme_pat', label: 'false_positive' },
    ])
    expect(result.response.body).not.toContain(real.token)
    expect(result.tokens.map(({ tokenHash, verdict }) => [tokenHash, verdict.outcome])).toEqual([
      [sha256(real.token), 'revoked'],
      [sha256('junk'), 'not_ours'],
    ])
    expect(await kw.tokens.get(real.record.id)).toMatchObject({ revokedReason: 'leaked' })
    await kw.close()
  })

  it('refuses an unsigned request, or one naming an unknown key, without reading its body', async () => {
    const { kw, send, mint, reads, bodyReads } = await setup()
    const { token } = await mint()
    expect(errorOf(await send(report(token), { signature: '' }))).toEqual([401, 'signature_required'])
    expect(errorOf(await send(report(token), { keyId: '' }))).toEqual([401, 'signature_required'])
    expect(errorOf(await send(report(token), { keyId: 'retired-key' }))).toEqual([401, 'unknown_key'])
    const get = await send(report(token), { method: 'GET' })
    expect([...errorOf(get), get.response.headers.Allow]).toEqual([405, 'method_not_allowed', 'POST'])
    expect([bodyReads(), reads()]).toEqual([0, 0])
    await kw.close()
  })

  it('touches no token before the signature verifies, nor for a report it refuses', async () => {
    const { kw, send, mint, reads } = await setup({ maxTokens: 2 })
    const { token } = await mint()
    const body = report(token)
    expect(errorOf(await send(body, { signature: signed(`${body} `) }))).toEqual([401, 'invalid_signature'])
    expect(errorOf(await send({ kind: 'too_large' }))).toEqual([413, 'payload_too_large'])
    expect(errorOf(await send(report(token, 'a', 'b')))).toEqual([413, 'payload_too_large'])
    const malformed = ['{', '{"token":"x"}', '[{"token":1,"type":"t"}]', '[{"token":"x"}]', '["x"]', '']
    for (const text of malformed) expect(errorOf(await send(text))).toEqual([400, 'invalid_report'])
    expect(reads()).toBe(0)
    expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
    await kw.close()
  })

  it('bounds the distinct tokens, not the matches: one token found in many places is one verification', async () => {
    const { kw, send, mint } = await setup({ maxTokens: 2 })
    const real = await mint()
    const places = Array.from({ length: 150 }, (_, i) => ({
      token: real.token,
      type: 'acme_pat',
      url: `https://github.com/o/r/blob/c${i}/.env`,
      source: 'commit',
    }))
    const result = await send(JSON.stringify(places))
    expect(result.response.status).toBe(200)
    expect(JSON.parse(result.response.body)).toEqual([
      { token_hash: sha256(real.token), token_type: 'acme_pat', label: 'true_positive' },
    ])
    expect(await kw.tokens.get(real.record.id)).toMatchObject({ revokedReason: 'leaked' })
    await kw.close()
  })

  it('a body a parser already consumed is the app’s misconfiguration: thrown, not answered', async () => {
    const { kw, send } = await setup()
    await expect(send({ kind: 'consumed' })).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(/body parser in front already parsed the report/),
    })
    await kw.close()
  })

  it('answers 503 with Retry-After when the tokens cannot be read', async () => {
    const { kw, send, mint } = await setup({ retryAfter: 7 })
    const { token } = await mint()
    await kw.close()
    const result = await send(report(token))
    expect(errorOf(result)).toEqual([503, 'unavailable'])
    expect(result.response.headers['Retry-After']).toBe('7')
    expect(result.tokens).toEqual([])
  })
})

describe('the leak events of a GitHub report', () => {
  it('token.leaked carries what GitHub said, by the github-secret-scanning actor', async () => {
    const { kw, send, mint } = await setup()
    const seen: unknown[] = []
    kw.events.on('token.leaked', (event) => void seen.push(event))
    const revokedBy: unknown[] = []
    kw.events.on('token.revoked', (event) => void revokedBy.push(event.actor))
    const { token, record } = await mint()
    const body = JSON.stringify([
      { token, type: 'acme_pat', url: 'https://github.com/o/r/blob/abc/.env', source: 'commit' },
      { token, type: 'other', url: 'https://example.com', source: 'content' },
    ])
    expect((await send(body)).response.status).toBe(200)
    const actor = { kind: 'system', id: 'github-secret-scanning', address: null, userAgent: null }
    expect(seen).toEqual([
      expect.objectContaining({
        token: expect.objectContaining({ id: record.id, status: 'revoked', revokedReason: 'leaked' }),
        revokedNow: true,
        report: {
          reporter: 'github',
          type: 'acme_pat',
          url: 'https://github.com/o/r/blob/abc/.env',
          source: 'commit',
        },
        actor,
      }),
    ])
    expect(revokedBy).toEqual([actor])
  })
})
