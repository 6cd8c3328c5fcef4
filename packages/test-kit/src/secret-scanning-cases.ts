import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { type Keyward, LEAKED_REASON, type SecretScanningOptions } from '@keyward/core'
import { type Backend, backends, wrongSecret } from '@keyward/core/internal/testing'
import { describe, expect, it } from 'vitest'
import { perCase } from './case-context.js'
import type { App, Reply } from './harness.js'

/** The options a case gives the endpoint; the harness adds `keyward`. */
export type SecretScanningTestOptions = Omit<SecretScanningOptions, 'keyward'>

/**
 * What a framework must provide for the leak-report suite: an app that serves
 * `secretScanning({ keyward: kw, ...options })` at `/github/secret-scanning` for every method
 * (Hono `app.all`, Express `app.all`, Koa `path`), with no body parser in front of it.
 */
export type SecretScanningHarness = {
  name: string
  app(kw: Keyward, options: SecretScanningTestOptions): App
}

export const SECRET_SCANNING_PATH = '/github/secret-scanning'

/** A P-256 key pair standing in for one of GitHub's: nothing is fetched in tests. */
export function githubKeyPair(keyIdentifier: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const entry = {
    key_identifier: keyIdentifier,
    key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
  return { keyIdentifier, entry, privateKey }
}

type KeyPair = ReturnType<typeof githubKeyPair>

function signature(privateKey: KeyObject, body: string): string {
  return sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString('base64')
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const report = (...tokens: string[]) =>
  JSON.stringify(
    tokens.map((token) => ({
      token,
      type: 'test_pat',
      url: 'https://github.com/o/r/blob/x/f',
      source: 'content',
    })),
  )

type Feedback = { token_hash: string; token_type: string; label: string }

function context(harness: SecretScanningHarness, backend: Backend) {
  const cases = perCase(backend)
  const github = githubKeyPair('github-key-current')
  const retired = githubKeyPair('github-key-retired')

  async function setup(options: Partial<SecretScanningTestOptions> = {}) {
    const { kw, clock } = await cases.open()
    const publicKeys = { public_keys: [{ ...github.entry, is_current: true }, retired.entry] }
    const app = cases.serve(harness.app(kw, { publicKeys, ...options }))
    /** POSTs `body` signed by `signer` over `signedBody` (default: the body itself). */
    const post = (
      body: string,
      sending: { signer?: KeyPair; signedBody?: string; keyIdentifier?: string } = {},
    ): Promise<Reply> => {
      const { signer = github, signedBody = body } = sending
      return app.request(
        SECRET_SCANNING_PATH,
        {
          'content-type': 'application/json',
          'github-public-key-identifier': sending.keyIdentifier ?? signer.keyIdentifier,
          'github-public-key-signature': signature(signer.privateKey, signedBody),
        },
        { method: 'POST', body },
      )
    }
    const mint = (expiresIn: `${number}d` = '30d') =>
      kw.tokens.create({ userId: 'ada', name: 'ci', expiresIn })
    const works = async (token: string) => (await kw.authenticate(`Bearer ${token}`)).ok
    return { kw, clock, post, mint, works, app }
  }

  /** A 200 with GitHub's feedback format; the raw tokens of the report appear nowhere in it. */
  const feedbackOf = (reply: Reply, reported: readonly string[]): Feedback[] => {
    expect(reply.status).toBe(200)
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    for (const token of reported) expect(reply.body).not.toContain(token)
    return JSON.parse(reply.body) as Feedback[]
  }
  const label = (token: string, value: 'true_positive' | 'false_positive'): Feedback => ({
    token_hash: sha256(token),
    token_type: 'test_pat',
    label: value,
  })
  const expectRefusal = (reply: Reply, status: number, code: string, reported: readonly string[] = []) => {
    expect([reply.status, (JSON.parse(reply.body) as { error?: { code?: string } }).error?.code]).toEqual([
      status,
      code,
    ])
    for (const token of reported) expect(reply.body).not.toContain(token)
  }
  return { setup, github, retired, feedbackOf, label, expectRefusal }
}

function cases({ setup, retired, feedbackOf, label, expectRefusal }: ReturnType<typeof context>): void {
  it('a signed report revokes a real token (reason leaked): it stops authenticating', async () => {
    const { kw, post, mint, works } = await setup()
    const { token, record } = await mint()
    const bystander = await mint()
    expect(await works(token)).toBe(true)
    const reply = await post(report(token))
    expect(feedbackOf(reply, [token])).toEqual([label(token, 'true_positive')])
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'revoked', revokedReason: LEAKED_REASON })
    expect(await kw.authenticate(`Bearer ${token}`)).toMatchObject({
      ok: false,
      error: { code: 'invalid_token' },
    })
    expect(await works(bystander.token)).toBe(true)
  })

  it('any configured key signs, the retiring one too', async () => {
    const { post, mint, works } = await setup()
    const { token } = await mint()
    expect(feedbackOf(await post(report(token), { signer: retired }), [token])).toEqual([
      label(token, 'true_positive'),
    ])
    expect(await works(token)).toBe(false)
  })

  it('a signature over another body is refused (401), and nothing is revoked', async () => {
    const { post, mint, works } = await setup()
    const { token } = await mint()
    const other = await mint()
    expectRefusal(await post(report(token), { signedBody: report(other.token) }), 401, 'invalid_signature', [
      token,
    ])
    // The same JSON, other bytes: the signature covers the raw body.
    const spaced = JSON.stringify(JSON.parse(report(token)), null, 2)
    expectRefusal(await post(spaced, { signedBody: report(token) }), 401, 'invalid_signature', [token])
    expect([await works(token), await works(other.token)]).toEqual([true, true])
  })

  it('an unknown key id, or a key the app does not have, is refused (401)', async () => {
    const { post, mint, works } = await setup()
    const { token } = await mint()
    const stranger = githubKeyPair('github-key-unknown')
    expectRefusal(await post(report(token), { signer: stranger }), 401, 'unknown_key', [token])
    // A known key id with another key's signature.
    const forged = { signer: stranger, keyIdentifier: 'github-key-current' }
    expectRefusal(await post(report(token), forged), 401, 'invalid_signature', [token])
    expect(await works(token)).toBe(true)
  })

  it('junk, another prefix and a bad checksum are false positives', async () => {
    const { post, mint, works } = await setup()
    const { token } = await mint()
    const foreign = `prod${token.slice(4)}`
    const badChecksum = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    const reported = ['not-a-token', foreign, badChecksum]
    const feedback = feedbackOf(await post(report(...reported)), reported)
    expect(feedback).toEqual(reported.map((junk) => label(junk, 'false_positive')))
    expect(await works(token)).toBe(true)
  })

  it('a well-formed token of a real id with a wrong secret is a false positive, not a revocation', async () => {
    const { kw, post, mint, works } = await setup()
    const { token, record } = await mint()
    const forged = wrongSecret(token, 3)
    expect(feedbackOf(await post(report(forged)), [forged, token])).toEqual([label(forged, 'false_positive')])
    expect(await kw.tokens.get(record.id)).toMatchObject({ status: 'active', revokedReason: null })
    expect(await works(token)).toBe(true)
  })

  it('a token revoked before is still a true positive, and left unchanged', async () => {
    const { kw, clock, post, mint } = await setup()
    const { token, record } = await mint()
    await kw.tokens.revoke(record.id, { reason: 'owner' })
    const before = await kw.tokens.get(record.id)
    clock.advance(60_000)
    expect(feedbackOf(await post(report(token)), [token])).toEqual([label(token, 'true_positive')])
    expect(await kw.tokens.get(record.id)).toEqual(before)
  })

  it('an expired token is a true positive, and marked leaked', async () => {
    const { kw, clock, post, mint } = await setup()
    const { token, record } = await mint('1d')
    clock.advance(2 * 86_400_000)
    expect(feedbackOf(await post(report(token)), [token])).toEqual([label(token, 'true_positive')])
    expect(await kw.tokens.get(record.id)).toMatchObject({ revokedReason: LEAKED_REASON })
  })

  it('a report with duplicates and a mix answers each distinct token once, in order', async () => {
    const { post, mint, works } = await setup()
    const a = await mint()
    const b = await mint()
    const reported = [a.token, 'junk', a.token, b.token]
    expect(feedbackOf(await post(report(...reported)), reported)).toEqual([
      label(a.token, 'true_positive'),
      label('junk', 'false_positive'),
      label(b.token, 'true_positive'),
    ])
    expect([await works(a.token), await works(b.token)]).toEqual([false, false])
    expect(feedbackOf(await post('[]'), [])).toEqual([])
  })

  it('an oversize body is 413, a signed body that is no report 400; nothing is revoked', async () => {
    const { post, mint, works } = await setup({ maxBodyBytes: 4096, maxTokens: 3 })
    const { token } = await mint()
    const padded = JSON.stringify([
      { token, type: 'test_pat', url: `https://github.com/${'x'.repeat(5000)}`, source: 'content' },
    ])
    expectRefusal(await post(padded), 413, 'payload_too_large', [token])
    expectRefusal(await post(report(token, 'a', 'b', 'c')), 413, 'payload_too_large', [token])
    expectRefusal(await post('{"token":'), 400, 'invalid_report')
    expectRefusal(await post(JSON.stringify([{ token }])), 400, 'invalid_report', [token])
    expect(await works(token)).toBe(true)
  })

  it('an unsigned request and other methods are refused', async () => {
    const { app, mint, works } = await setup()
    const { token } = await mint()
    const body = report(token)
    const unsigned = await app.request(
      SECRET_SCANNING_PATH,
      { 'content-type': 'application/json' },
      {
        method: 'POST',
        body,
      },
    )
    expectRefusal(unsigned, 401, 'signature_required', [token])
    const get = await app.request(SECRET_SCANNING_PATH)
    expectRefusal(get, 405, 'method_not_allowed')
    expect(get.headers.get('allow')).toBe('POST')
    expect(await works(token)).toBe(true)
  })
}

/** The leak-report endpoint of one framework, against every store backend. */
export async function secretScanningConformance(harness: SecretScanningHarness): Promise<void> {
  for (const backend of await backends()) {
    describe(`${harness.name} secret scanning on ${backend.name}`, () => cases(context(harness, backend)))
  }
}
