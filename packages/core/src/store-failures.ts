import type { Clock } from './clock.js'
import type { EngineCounters } from './engine-stats.js'
import { describeStoreError } from './errors.js'
import type { Logger } from './keyward-types.js'
import { isReadRefusal, type StoreReadOptions, StoreReads } from './store-reads.js'
import { RateLimitedWarning } from './warnings.js'

/**
 * Store reads on the request path and what becomes of their failures: the gate every read passes
 * (`storeReads`), and `report`, which counts a failure and warns (an outage fails every miss: one
 * line for the first failure, then a summary every 10 s).
 */
export function storeFailures(
  options: StoreReadOptions | undefined,
  context: { clock: Clock; logger: Logger; storeTimeout: number; errors: EngineCounters['errors'] },
) {
  const { clock, logger, errors } = context
  const warnings = new RateLimitedWarning({ logger, clock, subject: 'store', interval: 10_000 })
  const storeReads = new StoreReads(options, {
    clock,
    timeout: context.storeTimeout,
    onSuccess: () => warnings.recovered(),
  })
  return {
    storeReads,
    report(error: unknown, during: string): void {
      // A read the gate refused never reached the store: counted in stats.storeGate, not logged.
      if (isReadRefusal(error)) return
      errors.store++
      warnings.failure(`${during}: ${describeStoreError(error)}`)
    },
  }
}
