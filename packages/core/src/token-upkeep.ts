import type { Clock } from './clock.js'
import type { Lifecycle } from './lifecycle.js'
import type { KeywardStore, TokenRow } from './store.js'
import { storeCalls, unsupported } from './store-calls.js'
import { toRecord } from './token-rows.js'
import {
  type ExpiringTokensOptions,
  encodeExpiryCursor,
  expiringInMemory,
  type PurgeResult,
  type PurgeTokensOptions,
  requireExpiringOptions,
  requirePurgeOptions,
} from './token-upkeep-input.js'

export type { ExpiringTokensOptions, PurgeResult, PurgeTokensOptions } from './token-upkeep-input.js'

/**
 * The operator's calls on tokens across users: those about to expire, and the purge of rows past
 * use. Neither needs an invalidation: `expiring()` only reads, and a purged token was revoked or
 * expired long before, so no cache holds it.
 */
export function createTokenUpkeep(context: {
  clock: Clock
  lifecycle: Lifecycle
  store: () => Promise<KeywardStore>
}) {
  const { clock } = context
  const { withStore } = storeCalls(context)

  return {
    async expiring(options: ExpiringTokensOptions) {
      const now = clock.now()
      const { limit, ...query } = requireExpiringOptions(options, now)
      return withStore('expiring', async (store) => {
        // One more than asked: whether there is a next page, without a count.
        const read = { ...query, limit: limit + 1 }
        let rows: TokenRow[]
        if (store.listExpiringTokens) rows = await store.listExpiringTokens(read)
        else if (query.userId !== undefined)
          rows = expiringInMemory(await store.listTokens(query.userId), read)
        else throw unsupported('listExpiringTokens', 'tokens.expiring() without a userId')
        const last = rows.length > limit ? rows[limit - 1] : undefined
        return Object.freeze({
          tokens: Object.freeze(rows.slice(0, limit).map((row) => toRecord(row, now))),
          nextCursor:
            last === undefined
              ? null
              : encodeExpiryCursor({ expiresAt: last.expiresAt as number, id: last.id }),
        })
      })
    },

    async purge(options: PurgeTokensOptions): Promise<PurgeResult> {
      const { before, dryRun, onProgress, batchSize } = requirePurgeOptions(options, clock.now())
      return withStore('purge', async (store) => {
        const { countPurgeableTokens, purgeTokens } = store
        if (!countPurgeableTokens || !purgeTokens) {
          throw unsupported(countPurgeableTokens ? 'purgeTokens' : 'countPurgeableTokens', 'tokens.purge()')
        }
        const result = (purged: number) => Object.freeze({ purged, before: new Date(before) })
        const total = await countPurgeableTokens.call(store, { before })
        if (dryRun) return result(total)
        onProgress?.(0, total)
        let done = 0
        for (;;) {
          const deleted = await purgeTokens.call(store, { before, limit: batchSize })
          done += deleted
          // A row made purgeable after the count (an import of old rows) raises the total, never past it.
          if (deleted > 0) onProgress?.(done, Math.max(total, done))
          if (deleted < batchSize) {
            // The expiry warnings of the tokens gone go with them (a store without them has none).
            if (done > 0) await store.pruneExpiryWarnings?.()
            return result(done)
          }
        }
      })
    },
  }
}
