/**
 * One solo run: a server alone on its core, one lone first request, warm-up load, then the measured
 * load; the server's CPU time per request and, for Keyward, its stats as it exits.
 */
import type { KeywardStats } from '@keyward/core'
import type { Attempts } from './attempts.js'
import { percentOrNa } from './format.js'
import type { LoadResult } from './load.js'
import { cpuMs, load, PINNED, startServer } from './processes.js'
import { BUSY_FLOOR, type Sample } from './ratios.js'
import type { Settings } from './settings.js'
import type { Credential, ServerFixtures, ServerSpec, Variant } from './variants.js'

/** What every run of a benchmark shares. */
export type RunContext = {
  settings: Settings
  fixtures: ServerFixtures
  tokens: Readonly<Record<Credential, string | null>>
  attempts: Attempts
}

export function specOf(variant: Variant, context: RunContext): ServerSpec {
  return { framework: variant.framework, guard: variant.guard, fixtures: context.fixtures }
}

export function authorizationOf(variant: Variant, context: RunContext): string | null {
  const token = context.tokens[variant.credential]
  return token === null ? null : `Bearer ${token}`
}

/**
 * One request alone first, so that a Keyward server's first miss (an argon2 verification) does not
 * hold the warm-up's 100 requests in flight: objects that survive a scavenge in such a burst can turn
 * on V8's allocation-site pretenuring (see docs/benchmark-findings.md).
 */
export async function firstRequest(variant: Variant, context: RunContext, port: number): Promise<void> {
  const authorization = authorizationOf(variant, context)
  const first = await fetch(`http://127.0.0.1:${port}/r`, {
    headers: authorization === null ? {} : { authorization },
    signal: AbortSignal.timeout(30_000),
  })
  if (first.status !== 200) throw new Error(`${variant.id}: the first request answered ${first.status}`)
  await first.text()
}

export function answeredAll(variant: Variant, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${variant.id}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
}

/**
 * A Keyward server's stats as it exits. A Redis outage would quietly leave only the in-process
 * level: make sure Redis served (a write, or a hit on the entry an earlier server wrote). An
 * observed server must have emitted its start's events and written their audit rows, without error.
 */
export function checkedStats(variant: Variant, stats: KeywardStats | null): KeywardStats | null {
  const { guard } = variant
  if (guard.kind !== 'keyward') return null
  if (stats === null) throw new Error(`${variant.id}: the server did not report its stats`)
  const { sharedCache, events, audit } = stats
  if (guard.redis && (sharedCache.errors > 0 || sharedCache.writes + sharedCache.hits === 0))
    throw new Error(`${variant.id}: Redis was not used (${JSON.stringify(sharedCache)})`)
  if (
    guard.observed &&
    (events.emitted < 2 || events.listenerErrors > 0 || audit.rows < 2 || audit.errors > 0)
  )
    throw new Error(
      `${variant.id}: events or the audit log were not on (${JSON.stringify({ events, audit })})`,
    )
  return stats
}

type Measured = { sample: Sample; serverBusy: number | null; loadBusy: number }

async function measureOnce(variant: Variant, context: RunContext): Promise<Measured> {
  const { settings } = context
  const server = await startServer(specOf(variant, context), variant.id, settings.serverFlags)
  const authorization = authorizationOf(variant, context)
  let measured: Measured | undefined
  let requests = 0
  let stats: KeywardStats | null = null
  try {
    await firstRequest(variant, context, server.port)
    const warmUp =
      settings.soloWarmUpSeconds > 0
        ? await load(server.port, authorization, settings.soloWarmUpSeconds)
        : null
    const at = Date.now()
    const cpuBefore = cpuMs(server.pid)
    const result = await load(server.port, authorization, settings.soloSeconds)
    const cpuAfter = cpuMs(server.pid)
    answeredAll(variant, result)
    const cpuKnown = cpuBefore !== null && cpuAfter !== null
    measured = {
      sample: {
        at,
        reqs: result.reqsPerSecond,
        p50: result.p50,
        p99: result.p99,
        cpuPerRequest: cpuKnown ? ((cpuAfter - cpuBefore) * 1000) / result.total : null,
        saturated: true,
      },
      serverBusy: cpuKnown ? (cpuAfter - cpuBefore) / result.durationMs : null,
      loadBusy: result.loadBusy,
    }
    requests = 1 + (warmUp?.total ?? 0) + result.total
  } finally {
    stats = checkedStats(variant, await server.stop())
  }
  if (stats !== null)
    measured.sample.requestsPerVerification = requests / Math.max(1, stats.hashVerifications)
  return measured
}

/** A solo run of `variant`, repeated while its server was not kept busy (see attempts.ts). */
export async function measure(
  variant: Variant,
  context: RunContext,
  round: number,
  name = variant.id,
): Promise<Sample> {
  const { value } = await context.attempts.untilSaturated(variant.id, 'server not saturated', async () => {
    const { sample, serverBusy, loadBusy } = await measureOnce(variant, context)
    const { reqs, cpuPerRequest, requestsPerVerification } = sample
    sample.saturated = !PINNED || serverBusy === null || serverBusy >= BUSY_FLOOR
    const line =
      `round ${round + 1}: ${name.padEnd(28)} ${reqs.toFixed(0).padStart(8)} req/s` +
      (cpuPerRequest === null ? '' : `  ${cpuPerRequest.toFixed(1).padStart(6)} µs CPU/req`) +
      (serverBusy === null ? '' : `  server busy ${percentOrNa(serverBusy, 0).padStart(4)}`) +
      `  load busy ${percentOrNa(loadBusy, 0).padStart(4)}` +
      (variant.role === 'keyward-miss' && requestsPerVerification !== undefined
        ? `  ${requestsPerVerification.toFixed(0)} requests per argon2id verification`
        : '')
    return { value: sample, saturated: sample.saturated, line }
  })
  return value
}
