import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { KeywardError } from './errors.js'

/**
 * GitHub's secret-scanning signing keys, as the app configures them (nothing is fetched: the
 * operator copies https://api.github.com/meta/public_keys/secret_scanning), and the check of a
 * report's signature: ECDSA P-256 with SHA-256 over the raw body, base64 of the DER signature.
 */

/** One key of GitHub's document; other fields (`is_current`) are allowed and ignored. */
export type GitHubPublicKey = { readonly key_identifier: string; readonly key: string }

/** The document as GitHub serves it, or its `public_keys` array alone. */
export type GitHubPublicKeys =
  | { readonly public_keys: readonly GitHubPublicKey[] }
  | readonly GitHubPublicKey[]

/** The keys by identifier, each a P-256 public key. */
export type SigningKeys = ReadonlyMap<string, KeyObject>

export type SignatureCheck = 'valid' | 'unknown_key' | 'invalid_signature'

const KEY_IDENTIFIER = /^[\x21-\x7e]{1,256}$/
// A DER ECDSA P-256 signature is at most 72 bytes: 96 base64 characters. Some room, no more.
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{1,200}={0,2}$/
const P256 = 'prime256v1'

function misuse(message: string): never {
  throw new KeywardError('invalid_option', `secretScanning(): publicKeys ${message}`)
}

function keyList(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value
  if (typeof value === 'object' && value !== null && 'public_keys' in value) {
    const keys = (value as { public_keys: unknown }).public_keys
    if (Array.isArray(keys)) return keys
  }
  return misuse(
    'must be the document of https://api.github.com/meta/public_keys/secret_scanning ({ public_keys: [...] }) or its array of { key_identifier, key }.',
  )
}

function signingKey(entry: unknown, index: number): [string, KeyObject] {
  const at = `[${index}]`
  if (typeof entry !== 'object' || entry === null) misuse(`${at} must be an object { key_identifier, key }.`)
  const { key_identifier: id, key } = entry as Record<string, unknown>
  if (typeof id !== 'string' || !KEY_IDENTIFIER.test(id)) {
    misuse(
      `${at}.key_identifier must be a non-empty string of printable characters; got ${JSON.stringify(id)}.`,
    )
  }
  if (typeof key !== 'string' || !key.includes('-----BEGIN PUBLIC KEY-----')) {
    misuse(`${at}.key (key_identifier ${id}) must be a PEM public key ("-----BEGIN PUBLIC KEY-----").`)
  }
  let object: KeyObject
  try {
    object = createPublicKey({ key, format: 'pem' })
  } catch {
    return misuse(`${at}.key (key_identifier ${id}) is not a valid PEM public key.`)
  }
  const curve = object.asymmetricKeyDetails?.namedCurve
  if (object.asymmetricKeyType !== 'ec' || curve !== P256) {
    const kind =
      object.asymmetricKeyType === 'ec' ? `an EC key on ${curve}` : `a ${object.asymmetricKeyType} key`
    misuse(`${at}.key (key_identifier ${id}) must be an ECDSA P-256 key; got ${kind}.`)
  }
  return [id, object]
}

/** Validates the configured keys once: each a P-256 PEM, identifiers distinct, at least one. */
export function signingKeys(value: unknown): SigningKeys {
  const entries = keyList(value)
  if (entries.length === 0) misuse('is empty: configure at least one of GitHub’s keys.')
  const keys = new Map<string, KeyObject>()
  entries.forEach((entry, index) => {
    const [id, key] = signingKey(entry, index)
    if (keys.has(id)) misuse(`[${index}].key_identifier ${id} appears twice.`)
    keys.set(id, key)
  })
  return keys
}

/**
 * Whether `signature` (base64 DER) over `body` verifies with the key named `keyIdentifier`. Every
 * configured key is accepted, current or not: GitHub may still sign with one it is retiring.
 */
export function checkSignature(
  keys: SigningKeys,
  keyIdentifier: string,
  signature: string,
  body: Uint8Array,
): SignatureCheck {
  const key = keys.get(keyIdentifier)
  if (key === undefined) return 'unknown_key'
  if (!BASE64_SIGNATURE.test(signature)) return 'invalid_signature'
  try {
    const der = Buffer.from(signature, 'base64')
    return verify('sha256', body, { key, dsaEncoding: 'der' }, der) ? 'valid' : 'invalid_signature'
  } catch {
    // OpenSSL refuses some malformed DER outright rather than answering false.
    return 'invalid_signature'
  }
}
