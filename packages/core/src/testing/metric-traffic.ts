import { afterEach, expect } from 'vitest'
import { isKeywardError } from '../errors.js'
import { sha256Hasher } from '../hashing.js'
import { createKeyward } from '../keyward.js'
import type { Keyward } from '../keyward-types.js'
import { sqliteStore } from '../sqlite.js'
import { wrongSecret } from './backends.js'

/** The user the traffic's token belongs to: no exported point may carry it. */
export const TRAFFIC_USER = 'user-sentinel-4d1e'

const opened: Keyward[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((kw) => kw.close()))
})

/** A fresh instance on an in-memory SQLite store, closed after the test. */
export async function metricsInstance(): Promise<Keyward> {
  const store = sqliteStore({ path: ':memory:' })
  await store.migrate()
  const kw = createKeyward({
    store,
    tokenPrefix: 'mtest',
    hasher: sha256Hasher(),
    logger: { warn: () => {} },
  })
  opened.push(kw)
  return kw
}

/**
 * Real requests with known outcomes: the token verified (a miss), then answered from the cache (a
 * hit), one request with no token and one with a wrong secret. Returns the token and its id, which
 * no exported point may carry either.
 */
export async function sendTraffic(kw: Keyward): Promise<{ token: string; tokenId: string }> {
  const { token, record } = await kw.tokens.create({ userId: TRAFFIC_USER, name: 'metrics' })
  expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
  expect((await kw.authenticate(`Bearer ${token}`)).ok).toBe(true)
  expect((await kw.authenticate(undefined)).ok).toBe(false)
  expect((await kw.authenticate(`Bearer ${wrongSecret(token, 1)}`)).ok).toBe(false)
  return { token, tokenId: record.id }
}

/** What a call answers, as text: a KeywardError's code and message, or `accepted`. */
export function refusal(call: () => unknown): string {
  try {
    call()
  } catch (error) {
    return isKeywardError(error) ? `${error.code}: ${error.message}` : `not a KeywardError: ${error}`
  }
  return 'accepted'
}
