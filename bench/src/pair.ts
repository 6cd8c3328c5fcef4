/**
 * Two variants served side by side: both servers on the server core at once, each under its own
 * autocannon, so that whatever the machine does to that core in those seconds it does to both. The
 * scheduler gives each single-threaded server half the core, so the ratio of their req/s is the
 * ratio of their CPU cost per request.
 */
import type { KeywardStats } from '@keyward/core'
import { percentOrNa } from './format.js'
import {
  answeredAll,
  authorizationOf,
  checkedStats,
  firstRequest,
  type RunContext,
  specOf,
} from './measure.js'
import { cpuMs, load, PINNED, type Server, startServer } from './processes.js'
import { judgePair, type PairJudgement } from './ratios.js'
import { scrapeMetrics } from './scrape.js'
import type { Variant } from './variants.js'

type PairRun = PairJudgement & { reqs: { partner: number; variant: number } }

async function measurePairOnce(partner: Variant, variant: Variant, context: RunContext, round: number) {
  const { settings } = context
  // Which of the two starts first alternates between rounds.
  const order = round % 2 === 0 ? [partner, variant] : [variant, partner]
  const servers: Server[] = []
  let measured: PairRun | undefined
  let stopped: Array<PromiseSettledResult<KeywardStats | null>> = []
  try {
    for (const x of order) {
      const server = await startServer(specOf(x, context), x.id, settings.serverFlags)
      servers.push(server)
      await firstRequest(x, context, server.port)
    }
    const loads = (seconds: number) =>
      Promise.all(order.map((x, i) => load(servers[i]?.port ?? 0, authorizationOf(x, context), seconds)))
    // Both servers warm up together, long enough for the slowest framework to pass its climb.
    if (settings.warmUpSeconds > 0) await loads(settings.warmUpSeconds)
    // An observed server's metrics are collected once here, between the warm-up and the measurement.
    for (const [i, server] of servers.entries()) {
      if (server.metricsPort === null) continue
      await scrapeMetrics((order[i] as Variant).id, server.metricsPort, settings.warmUpSeconds > 0 ? 1 : 0)
    }
    const before = servers.map((server) => cpuMs(server.pid))
    const results = await loads(settings.pairedSeconds)
    const after = servers.map((server) => cpuMs(server.pid))
    for (const [i, result] of results.entries()) answeredAll(order[i] as Variant, result)
    const at = (x: Variant) => order.indexOf(x)
    const used = (i: number) => {
      const [start, end] = [before[i], after[i]]
      return start == null || end == null ? null : end - start
    }
    const reqs = {
      reference: results[at(partner)]?.reqsPerSecond ?? Number.NaN,
      variant: results[at(variant)]?.reqsPerSecond ?? Number.NaN,
    }
    const judged = judgePair(
      { reqs, cpuMs: { reference: used(at(partner)), variant: used(at(variant)) }, loads: results },
      PINNED,
    )
    measured = { ...judged, reqs: { partner: reqs.reference, variant: reqs.variant } }
  } finally {
    // Every server is stopped, even when one of them fails to tell its stats.
    stopped = await Promise.allSettled(servers.map((server) => server.stop()))
  }
  for (const [i, outcome] of stopped.entries()) {
    if (outcome.status === 'rejected') throw outcome.reason
    checkedStats(order[i] as Variant, outcome.value)
  }
  return measured
}

/**
 * One round of `variant` beside `partner`, run again while the core was not kept busy or not shared
 * fairly; returns the ratio of the variant's req/s to the partner's, or null when the last attempt
 * still did not count.
 */
export async function measurePair(
  partner: Variant,
  variant: Variant,
  context: RunContext,
  round: number,
): Promise<number | null> {
  const name = `paired ${variant.id} / ${partner.id}`
  const outcome = await context.attempts.untilSaturated(
    name,
    'not saturated or not shared fairly',
    async () => {
      const run = await measurePairOnce(partner, variant, context, round)
      const line =
        `round ${round + 1}: ${name.padEnd(52)} ${percentOrNa(run.ratio, 1).padStart(6)}  (${run.reqs.partner.toFixed(0)} / ${run.reqs.variant.toFixed(0)} req/s)` +
        (run.busy === null ? '' : `  core busy ${percentOrNa(run.busy, 0)}`) +
        (run.referenceShare === null ? '' : `, ${percentOrNa(run.referenceShare, 0)} of it to ${partner.id}`)
      return { value: run.ratio, saturated: run.counts, line }
    },
  )
  return outcome.saturated ? outcome.value : null
}
