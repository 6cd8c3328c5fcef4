/**
 * The cache hit of an observed instance (issue #24): a listener on every event type, the audit log,
 * OpenTelemetry on a real SDK MeterProvider and prom-client on a Registry, beside the same hit on a
 * plain instance of the same database and token. The two are timed in interleaved rounds of the same
 * length (which one goes first alternates), and the verdict is the median of the rounds' ratios.
 * Between rounds the event loop turns (the auth.failures timer ticks) and every few rounds metrics
 * are collected, as a scrape comes between requests: never inside a timed loop.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'
import { createKeyward, EVENT_TYPES, type Keyward, type KeywardEventType } from '../src/index.js'
import { registerOpenTelemetry } from '../src/opentelemetry.js'
import { registerPrometheus } from '../src/prometheus.js'
import { sqliteStore } from '../src/sqlite.js'
import { median, nsPerAsyncOp, nsPerOp } from './timing.js'

/** Observed over plain, paired median: at most this, i.e. within the noise of a shared machine. */
export const OBSERVED_GOAL = 1.02
export const OBSERVED_ROUNDS = 12
/** A collection (OpenTelemetry and a prom-client scrape) after every this many rounds. */
const COLLECT_EVERY = 3

/** A reader that collects when asked, as a pull exporter does. */
class PullReader extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
}

type Timings = { plain: number[]; observed: number[]; ratios: number[] }
export type HitComparison = { plain: number; observed: number; ratio: number }
export type ObservedHits = {
  check: HitComparison
  authenticate: HitComparison
  collections: number
  /** keyward_cache_hits_total{level="local"} in the last scrape: the metrics saw the hits. */
  scrapedHits: number
  heard: ReadonlyMap<KeywardEventType, number>
}

const LOCAL_HITS = /^keyward_cache_hits_total\{level="local"\} (\d+)$/m

/** An instance of its own (closing it closes its store) on the database of `path`, migrated before. */
async function observedInstance(path: string, header: string) {
  const store = sqliteStore({ path })
  const kw = createKeyward({ store, tokenPrefix: 'bench', audit: true, events: { failureInterval: '1s' } })
  const heard = new Map<KeywardEventType, number>()
  for (const type of EVENT_TYPES) kw.events.on(type, () => heard.set(type, (heard.get(type) ?? 0) + 1))
  const reader = new PullReader()
  const provider = new MeterProvider({ readers: [reader] })
  registerOpenTelemetry(kw, { meterProvider: provider })
  const registry = new Registry()
  registerPrometheus(kw, registry)
  // Events and audit rows for real before the rounds, and one refusal for auth.failures to report.
  const { record } = await kw.tokens.create({ userId: 'observed', name: 'observed', scopes: [] })
  await kw.tokens.revoke(record.id, { userId: 'observed' })
  kw.check(`${header.slice(0, -1)}x`)
  if (!(await kw.authenticate(header)).ok) throw new Error('the observed instance refused the hot token')
  if (kw.stats().audit.rows < 2) throw new Error('the observed instance wrote no audit rows')
  const collect = async (): Promise<number> => {
    const { errors } = await reader.collect()
    if (errors.length > 0) throw new Error(`OpenTelemetry collection failed: ${String(errors[0])}`)
    const scraped = LOCAL_HITS.exec(await registry.metrics())?.[1]
    if (scraped === undefined) throw new Error('the prom-client scrape has no local cache hits')
    return Number(scraped)
  }
  const close = async () => {
    await provider.shutdown()
    await kw.close()
  }
  return { kw, heard, collect, close }
}

function compared({ plain, observed, ratios }: Timings): HitComparison {
  return { plain: median(plain), observed: median(observed), ratio: median(ratios) }
}

/** `hot` is the plain instance on the SQLite database at `path`, its token's hit already cached. */
export async function observedHits(hot: Keyward, path: string, header: string): Promise<ObservedHits> {
  const observed = await observedInstance(path, header)
  const check: Timings = { plain: [], observed: [], ratios: [] }
  const authenticate: Timings = { plain: [], observed: [], ratios: [] }
  let collections = 0
  let scrapedHits = 0
  try {
    for (let round = 0; round < OBSERVED_ROUNDS; round++) {
      const order = round % 2 === 0 ? [hot, observed.kw] : [observed.kw, hot]
      const sync = new Map<Keyward, number>()
      for (const kw of order)
        sync.set(
          kw,
          nsPerOp(200_000, () => kw.check(header)),
        )
      const async = new Map<Keyward, number>()
      for (const kw of order) async.set(kw, await nsPerAsyncOp(100_000, () => kw.authenticate(header)))
      for (const [timings, times] of [
        [check, sync],
        [authenticate, async],
      ] as const) {
        const [plain, seen] = [times.get(hot) ?? Number.NaN, times.get(observed.kw) ?? Number.NaN]
        timings.plain.push(plain)
        timings.observed.push(seen)
        timings.ratios.push(seen / plain)
      }
      // A timed loop holds the event loop, as no server does for long: let the timers run.
      await new Promise((resolve) => setImmediate(resolve))
      if ((round + 1) % COLLECT_EVERY === 0) {
        scrapedHits = await observed.collect()
        collections++
      }
    }
    return {
      check: compared(check),
      authenticate: compared(authenticate),
      collections,
      scrapedHits,
      heard: observed.heard,
    }
  } finally {
    await observed.close()
  }
}

/** The comparison as printed: a table of the two medians and their ratio, then the goal line. */
export function observedReport(observed: ObservedHits): string[] {
  const row = (name: string, { plain, observed: seen, ratio }: HitComparison) =>
    `${name.padEnd(36)}${plain.toFixed(0).padStart(10)}${seen.toFixed(0).padStart(13)}${`${(ratio * 100).toFixed(1)}%`.padStart(16)}`
  const heard = [...observed.heard].map(([type, count]) => `${type} ${count}`).join(', ')
  const worst = Math.max(observed.check.ratio, observed.authenticate.ratio)
  return [
    `the same hit observed (a listener on every event type, audit: true, OpenTelemetry SDK + prom-client) beside plain, ${OBSERVED_ROUNDS} interleaved rounds:`,
    `${'case'.padEnd(36)}${'plain ns'.padStart(10)}${'observed ns'.padStart(13)}${'observed/plain'.padStart(16)}`,
    row('cache hit, check() (sync)', observed.check),
    row('cache hit, authenticate()', observed.authenticate),
    `metrics collected ${observed.collections} times between rounds (the last scrape: ${observed.scrapedHits} local cache hits); events heard: ${heard || 'none'}`,
    `\nobserved cache hit is at most ${(worst * 100).toFixed(1)}% of plain (median of the rounds' ratios): goal ≤ ${(OBSERVED_GOAL * 100).toFixed(0)}% ${worst <= OBSERVED_GOAL ? 'met' : 'NOT met'}`,
  ]
}
