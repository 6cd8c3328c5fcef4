import type { Clock } from './clock.js'
import { hashFingerprint, wireDigest } from './digests.js'
import type { EngineCounters } from './engine-stats.js'
import { unavailableError } from './errors.js'
import type { TokenHasher } from './hashing.js'
import type { InvalidationFence } from './invalidation-fence.js'
import type { AuthResult, Logger } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import type { Principal } from './principal.js'
import type { Protection } from './protection.js'
import type { SharedTokenEntry } from './shared-cache.js'
import type { SharedLevel } from './shared-level.js'
import type { KeywardStore, TokenRow } from './store.js'
import { isReadRefusal, type StoreReads } from './store-reads.js'
import type { RefreshDue, TokenCache } from './token-cache.js'
import type { TokenCaches } from './token-caches.js'
import type { ParsedToken } from './token-format.js'
import { isUsable, patPrincipal, statusOf } from './token-rows.js'
import type { Verdicts } from './verdicts.js'

/** Everything a miss may touch, built before it. */
export type ResolverContext = {
  clock: Clock
  logger: Logger
  hasher: TokenHasher
  lifecycle: Lifecycle
  counters: EngineCounters
  /** The prefix a token's row must carry: instances with different prefixes may share a table. */
  ownPrefix: (id: string) => string
  cacheTtl: number
  sharedTtl: number
  store: () => Promise<KeywardStore>
  storeReads: StoreReads
  reportStoreError: (error: unknown, during: string) => void
  cache: TokenCache
  /** Caches a confirmed token and records its use (see `TokenCaches.fill`). */
  fill: TokenCaches['fill']
  fence: InvalidationFence
  shared: SharedLevel
  protection: Protection
  verdicts: Verdicts
  /** An entry cached now lives no longer than this (see `Invalidations.entryLimit`). */
  entryLimit: (limit: number) => number
  /** Drops a token from this process's caches. */
  invalidate: (ids: readonly string[]) => void
  /** A stored token found expired (the `token.expired` event, once per token). */
  noticeExpired: (row: TokenRow) => void
}

/**
 * What a cache miss does: the shared level, else the store and the hasher, with the throttle and
 * the fence around them; refresh-ahead of a busy entry; the rehash of an outdated hash; the fill of
 * the shared level. Each answer is cached where it belongs; nothing here parses a header.
 */
export function createMissResolver(context: ResolverContext) {
  const { clock, hasher, counters, cache, fill, fence, shared, protection, verdicts } = context
  const { rejected, rejectedForGood } = verdicts

  const readRow = (store: KeywardStore, id: string): Promise<TokenRow | null> =>
    context.storeReads.read((signal) => {
      counters.storeReads++
      return store.findToken(id, signal)
    })

  const rehashing = new Set<string>()
  const rehash = (store: KeywardStore, id: string, secret: string) => {
    if (rehashing.has(id)) return
    rehashing.add(id)
    context.lifecycle.runInBackground(
      Promise.resolve()
        .then(() => hasher.hash(secret))
        .then((secretHash) => store.updateToken(id, { secretHash }))
        .then(() => {
          counters.rehashes++
        })
        .catch((error) => context.reportStoreError(error, 'a rehash'))
        .finally(() => rehashing.delete(id)),
    )
  }

  /**
   * Writes the shared entry of a token just confirmed, off the request path. When the read before the
   * store read found no generation, one is created now and the store is asked once more (no argon2)
   * whether the token is still good with the same hash: a revoke that landed before the generation
   * existed shows there, and one after it changes the generation, so the write is refused.
   */
  const fillShared = (
    id: string,
    digest: string,
    principal: Principal,
    sharedGeneration: string,
    verifiedHash: string,
  ) => {
    const now = clock.now()
    const expiresAt = principal.expiresAt?.getTime() ?? null
    const validUntil = Math.min(now + context.sharedTtl, expiresAt ?? Number.POSITIVE_INFINITY)
    const level = shared.cache
    if (!level || validUntil <= now) return
    const entry = {
      digest: wireDigest(digest),
      userId: principal.userId,
      scopes: [...principal.scopes],
      expiresAt,
      validUntil,
    }
    const write = async (): Promise<boolean> => {
      let generation = sharedGeneration
      if (generation === '') {
        generation = await level.createGeneration(id)
        const store = await context.store()
        let row: TokenRow | null
        try {
          row = await readRow(store, id)
        } catch {
          return false
        }
        if (!isUsable(row, clock.now()) || row.secretHash !== verifiedHash) return false
      }
      return level.writeToken(id, entry, generation, validUntil - now)
    }
    context.lifecycle.runInBackground(
      write().then((written) => {
        shared.worked()
        if (written) shared.stats.writes++
      }, shared.failed),
    )
  }

  /** A shared entry that answered: cached here, no store read, no argon2. */
  const fromShared = (id: string, digest: string, entry: SharedTokenEntry): AuthResult => {
    shared.stats.hits++
    protection.recordSuccess(id, digest)
    const principal = patPrincipal(id, entry.userId, entry.scopes, entry.expiresAt)
    fill(id, digest, principal, context.entryLimit(entry.validUntil))
    return Object.freeze({ ok: true, principal })
  }

  /** The miss itself; `digest` is the token's key at every level, computed once by the caller. */
  const resolveMiss = async (
    { id, secret }: ParsedToken,
    digest: string,
    client?: string | null,
  ): Promise<AuthResult> => {
    fence.enter()
    let releaseAttempt: (() => void) | null = null
    try {
      // Opening starts now; only a store read waits for it, so a shared hit never does.
      const opening = context.store()
      let verifiedHash: string | null = null
      for (let attempt = 0; attempt < 3; attempt++) {
        const ticket = fence.ticket()
        const sharedRead = await shared.readToken(id, digest)
        const sharedGeneration = sharedRead?.generation ?? null
        const entry = sharedRead?.entry ?? null
        if (entry !== null) {
          if (fence.isFenced(id, ticket)) continue
          return fromShared(id, digest, entry)
        }
        if (sharedRead !== null) shared.stats.misses++
        // The throttle guards the store read and argon2 only: a shared hit above is never throttled.
        if (verifiedHash === null && releaseAttempt === null) {
          releaseAttempt = protection.admit(id, digest, client)
          if (releaseAttempt === null) {
            // Not a verdict on this token (it may be the real one, where it has not verified yet):
            // retry once the id's window ends, rather than a 401 that tells a client to drop it.
            counters.rejections.throttled++
            return Object.freeze({ ok: false, error: unavailableError(protection.retryAfter(id, client)) })
          }
        }
        const store = await opening
        let row: TokenRow | null
        try {
          row = await readRow(store, id)
        } catch (error) {
          if (isReadRefusal(error))
            return rejected(error.reason === 'overloaded' ? 'overloaded' : 'unavailable')
          context.reportStoreError(error, 'authentication')
          return rejected('unavailable')
        }
        const now = clock.now()
        if (row === null) return rejectedForGood(digest, 'unknown')
        if (row.prefix !== context.ownPrefix(id)) return rejectedForGood(digest, 'wrong_prefix')
        const status = statusOf(row, now)
        if (status === 'expired') context.noticeExpired(row)
        if (status !== 'active') return rejectedForGood(digest, status)
        if (verifiedHash !== row.secretHash) {
          if (!hasher.accepts(row.secretHash)) return rejectedForGood(digest, 'bad_hash')
          const stored = row.secretHash
          let matches: boolean | null
          try {
            matches = await protection.verify(() => {
              counters.hashVerifications++
              return hasher.verify(stored, secret)
            })
          } catch (error) {
            // Not a wrong secret: nothing is negative-cached or counted against the id.
            counters.errors.hasher++
            // Only the error's name: a custom hasher's message might quote the secret.
            context.logger.warn(
              `hash verification failed (${error instanceof Error ? error.name : typeof error})`,
            )
            return rejected('unavailable')
          }
          if (matches === null) return rejected('overloaded')
          if (!matches) {
            protection.recordFailure(id, client)
            return rejectedForGood(digest, 'wrong_secret')
          }
          protection.recordSuccess(id, digest)
          verifiedHash = row.secretHash
          if (hasher.needsRehash(row.secretHash)) rehash(store, id, secret)
        }
        if (fence.isFenced(id, ticket)) continue
        // The verification took time: the token may have expired meanwhile.
        if (!isUsable(row, clock.now())) {
          context.noticeExpired(row)
          return rejected('expired')
        }
        const principal = patPrincipal(id, row.userId, row.scopes, row.expiresAt)
        fill(id, digest, principal, context.entryLimit(Number.POSITIVE_INFINITY), verifiedHash)
        if (sharedGeneration !== null) fillShared(id, digest, principal, sharedGeneration, verifiedHash)
        return Object.freeze({ ok: true, principal })
      }
      return rejected('unavailable')
    } catch (error) {
      context.reportStoreError(error, 'authentication')
      return rejected('unavailable')
    } finally {
      releaseAttempt?.()
      fence.leave()
    }
  }

  /**
   * Refresh-ahead: a token still in use near the end of its in-process TTL is confirmed again in the
   * background while its entry keeps answering. Confirming needs no secret and no argon2: the shared
   * entry when it matches and outlives the TTL, else the store's row, active and with the very hash
   * the secret verified against here. It renews only the entry it began from, fenced like a miss.
   */
  const refresh = async (due: RefreshDue): Promise<void> => {
    const { id, digest, verified } = due
    const ticket = fence.enter()
    const renew = (principal: Principal, limit: number): boolean => {
      if (fence.isFenced(id, ticket) || !cache.renew(due, principal, { limit: context.entryLimit(limit) }))
        return false
      counters.cache.renewed++
      return true
    }
    try {
      const sharedRead = await shared.readToken(id, digest)
      const sharedGeneration = sharedRead?.generation ?? null
      const entry = sharedRead?.entry ?? null
      // A shared entry about to end is renewed from the store instead, which refills it.
      if (entry !== null && (verified === null || entry.validUntil >= clock.now() + context.cacheTtl)) {
        shared.stats.hits++
        renew(patPrincipal(id, entry.userId, entry.scopes, entry.expiresAt), entry.validUntil)
        return
      }
      if (sharedRead !== null) shared.stats.misses++
      if (verified === null) return
      const row = await readRow(await context.store(), id)
      if (!isUsable(row, clock.now())) {
        // An invalidation this process missed: stop serving the token now rather than at its TTL.
        context.invalidate([id])
        return
      }
      // A new hash (a rehash, or a secret replaced in the database) needs the secret: let it expire.
      if (hashFingerprint(row.secretHash) !== verified) return
      const principal = patPrincipal(id, row.userId, row.scopes, row.expiresAt)
      if (renew(principal, Number.POSITIVE_INFINITY) && sharedGeneration !== null)
        fillShared(id, digest, principal, sharedGeneration, row.secretHash)
    } catch (error) {
      context.reportStoreError(error, 'a cache refresh')
    } finally {
      fence.leave()
    }
  }

  return { resolveMiss, refresh }
}

export type MissResolver = ReturnType<typeof createMissResolver>
