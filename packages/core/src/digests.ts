import { createHash, hash as digestOf } from 'node:crypto'

/**
 * How a token is keyed: the SHA-256 of the header that carries it, in the cache, the negative cache
 * and single flight of this process, and (as base64) at the shared level; and how keys are compared.
 */

/**
 * SHA-256 of an Authorization header as it arrived, one character a byte ('binary' is latin1): what
 * the hot path looks up. The shared level stores it as base64 (see `wireDigest`).
 */
export function headerDigest(header: string): string {
  return digestOf('sha256', header, 'binary')
}

/**
 * The key of a token at every cache level and in the negative cache: the digest of the header that
 * carries it in canonical form, so that the hot path finds it without parsing the header.
 */
export function tokenDigest(credential: string): string {
  return headerDigest(`Bearer ${credential}`)
}

/**
 * A token's key as the shared level stores and compares it: base64, as before the in-process key
 * became one character a byte (see `headerDigest`), so that processes of both versions agree.
 */
export function wireDigest(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('base64')
}

/**
 * Compares two digests (strings) in time that depends only on their length. (Hashing first already makes
 * an early-exit compare harmless; this keeps the promise of a constant-time comparison anyway,
 * without the Buffer allocations that would cost more than the hash.)
 */
export function digestEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

/**
 * Tells whether a stored hash is still the one a secret verified against, without holding the hash
 * (an argon2id string is about 100 characters): 48 bits of its SHA-256, a number.
 */
export function hashFingerprint(storedHash: string): number {
  return createHash('sha256').update(storedHash).digest().readUIntBE(0, 6)
}
