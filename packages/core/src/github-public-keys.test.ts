import { generateKeyPairSync, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkSignature, signingKeys } from './github-public-keys.js'

/** A key pair standing in for one of GitHub's (nothing is fetched in tests). */
function keyPair(namedCurve = 'P-256') {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const signed = (body: string) =>
    sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString('base64')
  return { pem, signed }
}

const github = keyPair()
const ID = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c'
const document = { public_keys: [{ key_identifier: ID, key: github.pem, is_current: true }] }

describe('signingKeys()', () => {
  it('takes GitHub’s document as served, or its array', () => {
    expect([...signingKeys(document).keys()]).toEqual([ID])
    const other = keyPair()
    const keys = signingKeys([
      { key_identifier: ID, key: github.pem },
      { key_identifier: 'old', key: other.pem, is_current: false },
    ])
    expect([...keys.keys()]).toEqual([ID, 'old'])
  })

  it('refuses what is not a list of P-256 keys, naming the entry and the problem', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    const refusals: Array<[unknown, RegExp]> = [
      [undefined, /must be the document of https:\/\/api\.github\.com\/meta\/public_keys\/secret_scanning/],
      ['-----BEGIN PUBLIC KEY-----', /must be the document/],
      [{ public_keys: 'x' }, /must be the document/],
      [[], /is empty/],
      [{ public_keys: [] }, /is empty/],
      [[null], /\[0\] must be an object/],
      [[{ key: github.pem }], /\[0\]\.key_identifier must be a non-empty string.*got undefined/],
      [[{ key_identifier: 'has space', key: github.pem }], /key_identifier must be .*"has space"/],
      [[{ key_identifier: ID }], /\[0\]\.key \(key_identifier bcb5.*\) must be a PEM public key/],
      [
        [{ key_identifier: ID, key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }],
        /is not a valid PEM/,
      ],
      [[{ key_identifier: ID, key: rsa }], /must be an ECDSA P-256 key; got a rsa key/],
      [
        [{ key_identifier: ID, key: keyPair('P-384').pem }],
        /must be an ECDSA P-256 key; got an EC key on secp384r1/,
      ],
      [
        [
          { key_identifier: ID, key: github.pem },
          { key_identifier: ID, key: keyPair().pem },
        ],
        /\[1\]\.key_identifier bcb5.* appears twice/,
      ],
    ]
    for (const [value, message] of refusals) {
      expect(() => signingKeys(value)).toThrow(message)
      try {
        signingKeys(value)
      } catch (error) {
        expect(error).toMatchObject({
          code: 'invalid_option',
          message: expect.stringMatching(/^secretScanning\(\): publicKeys/),
        })
      }
    }
  })
})

describe('checkSignature()', () => {
  const keys = signingKeys(document)
  const body = '[{"token":"x","type":"t","url":"","source":"content"}]'

  it('verifies ECDSA P-256 / SHA-256 over the exact bytes', () => {
    expect(checkSignature(keys, ID, github.signed(body), Buffer.from(body))).toBe('valid')
    // Reformatted JSON is other bytes: refused, as GitHub's docs warn.
    const spaced = JSON.stringify(JSON.parse(body), null, 1)
    expect(checkSignature(keys, ID, github.signed(body), Buffer.from(spaced))).toBe('invalid_signature')
  })

  it('refuses an unknown key, another key’s signature, and garbage', () => {
    expect(checkSignature(keys, 'unknown', github.signed(body), Buffer.from(body))).toBe('unknown_key')
    expect(checkSignature(keys, ID, keyPair().signed(body), Buffer.from(body))).toBe('invalid_signature')
    for (const garbage of ['', 'not base64!', 'AAAA', 'MEUCIQ==', 'A'.repeat(400)]) {
      expect(checkSignature(keys, ID, garbage, Buffer.from(body))).toBe('invalid_signature')
    }
  })
})
