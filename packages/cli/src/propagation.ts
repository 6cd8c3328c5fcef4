import type { Keyward, Propagation } from '@keyward/core'

/**
 * How soon running servers learn of a revoke or a bump made here, as the CLI prints it after one:
 * the bound and channel `kw.propagation()` states (the core decides them; this says them). The one
 * place that words it.
 */

export function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  if (ms >= 10_000) return `${Number((ms / 1000).toFixed(1))} s`
  return `${ms} ms`
}

/** Where the running servers are, and how they are told, for each channel that tells them. */
const CHANNELS: Readonly<Record<Exclude<Propagation['channel'], 'local' | 'none'>, [string, string]>> = {
  postgres: ['on this database', 'Postgres NOTIFY'],
  redis: ['sharing this Redis', 'Redis pub/sub'],
  sqlite: ['on this SQLite file', 'their poll of its invalidation table'],
  store: ['on this store', "the store's own invalidation bus"],
}

/** The sentence for a propagation as `kw.propagation()` gives it. */
export function describeBound(propagation: Propagation): string {
  const { channel, boundMs, fallbackMs } = propagation
  if (channel === 'local') {
    return 'No other process can open this database (in memory): there is no running server to tell.'
  }
  if (channel === 'none') {
    return `This configuration has no invalidation channel: running servers catch up when their cache entries expire, within ${duration(boundMs)} (cache.ttl).`
  }
  const [where, how] = CHANNELS[channel]
  return `Running servers ${where} refuse it within ${duration(boundMs)} (${how}); one whose channel is down, within ${duration(fallbackMs)} (its cache TTL).`
}

/**
 * The note printed after a revoke, a rotation, `revoke-all`, `sessions bump` or `users cut-off`. It
 * never fails the command: the change is made, and an instance that cannot say its bound (an older
 * @keyward/core, the store gone since) gets a note that says so.
 */
export async function propagationNote(kw: Pick<Keyward, 'propagation'>): Promise<string> {
  if (typeof kw.propagation !== 'function') {
    return 'How soon running servers see it depends on the invalidation channel; this @keyward/core does not state the bound (upgrade it).'
  }
  try {
    return describeBound(await kw.propagation())
  } catch {
    return 'How soon running servers see it could not be read from the store just now: they refuse it at the latest when their cache entries expire (cache.ttl).'
  }
}
