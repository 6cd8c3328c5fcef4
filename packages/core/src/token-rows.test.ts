import { describe, expect, it } from 'vitest'
import type { TokenRow } from './store.js'
import { isUsable, patPrincipal, statusOf, toRecord } from './token-rows.js'

const NOW = Date.UTC(2030, 0, 1)
const row = (changes: Partial<TokenRow> = {}): TokenRow => ({
  id: 'id1',
  userId: 'u1',
  name: 'ci',
  prefix: 'kw_id1…',
  secretHash: 'sha256:never-shown',
  scopes: ['read'],
  expiresAt: null,
  lastUsedAt: null,
  createdAt: NOW - 1000,
  revokedAt: null,
  revokedReason: null,
  metadata: null,
  description: null,
  ...changes,
})

describe("a row's state: one rule", () => {
  it('revoked wins over expired; expiry is reached at expiresAt exactly', () => {
    expect(statusOf(row(), NOW)).toBe('active')
    expect(statusOf(row({ expiresAt: NOW + 1 }), NOW)).toBe('active')
    expect(statusOf(row({ expiresAt: NOW }), NOW)).toBe('expired')
    expect(statusOf(row({ expiresAt: NOW, revokedAt: NOW - 5 }), NOW)).toBe('revoked')
  })

  it('only an active row is usable; no row is not', () => {
    expect(isUsable(row(), NOW)).toBe(true)
    expect(isUsable(null, NOW)).toBe(false)
    expect(isUsable(row({ revokedAt: NOW }), NOW)).toBe(false)
    expect(isUsable(row({ expiresAt: NOW }), NOW)).toBe(false)
  })

  it('a record never holds the hash, and is frozen', () => {
    const record = toRecord(row({ expiresAt: NOW + 60_000 }), NOW)
    expect(record).not.toHaveProperty('secretHash')
    expect(record).toMatchObject({ status: 'active', expiresAt: new Date(NOW + 60_000), lastUsedAt: null })
    expect(Object.isFrozen(record) && Object.isFrozen(record.scopes)).toBe(true)
  })

  it("a PAT's principal carries its token id and expiry, frozen", () => {
    const principal = patPrincipal('id1', 'u1', ['read'], null)
    expect(principal).toEqual({
      kind: 'pat',
      userId: 'u1',
      scopes: ['read'],
      tokenId: 'id1',
      expiresAt: null,
    })
    expect(Object.isFrozen(principal) && Object.isFrozen(principal.scopes)).toBe(true)
  })
})
