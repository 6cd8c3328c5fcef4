/**
 * The generated report, docs/benchmarks.md: the method, the table, the verdicts and the abuse
 * scenarios of this run. Findings made by hand on particular days live in the static
 * docs/benchmark-findings.md, which the report links to.
 */
import { cpus, totalmem } from 'node:os'
import type { Attempts } from './attempts.js'
import { counts } from './format.js'
import { HOT_PATH_BATCHES, HOT_PATH_CALLS, type HotPath } from './hot-path.js'
import { CONNECTIONS, LOAD_CORE, PINNED, PIPELINING, SERVER_CORE } from './processes.js'
import { BUSY_FLOOR, DRIFT_LIMIT, FAIR_SHARE_TOLERANCE, type Round } from './ratios.js'
import { honoBareNote, renderTable, renderVerdicts } from './report-verdicts.js'
import type { Row } from './rows.js'
import type { Settings } from './settings.js'
import { HIT_TARGET, OBSERVED_TARGET } from './verdict.js'

export type ReportInput = {
  rows: readonly Row[]
  rounds: readonly Round[]
  abuse: readonly string[]
  hotPath: HotPath
  attempts: Attempts
  settings: Settings
}

function missNotes(rows: readonly Row[]): string {
  return rows
    .filter((r) => r.role === 'keyward-miss' && Number.isFinite(r.requestsPerVerification))
    .map(
      (r) =>
        `- ${r.framework}: one verification answered ${r.requestsPerVerification.toFixed(0)} requests (median of the rounds), about ${(r.reqs / r.requestsPerVerification).toFixed(0)} verifications a second.`,
    )
    .join('\n')
}

function method(input: ReportInput): string {
  const { settings: s, attempts } = input
  const share = (sign: 1 | -1) => (50 + sign * FAIR_SHARE_TOLERANCE * 100).toFixed(0)
  return `- Each server runs in its own process, from the compiled JavaScript an application runs. The load
  generator, autocannon, runs in another process: \`GET /r\` over loopback, ${CONNECTIONS} connections with
  ${PIPELINING} pipelined requests each. Every route answers \`ok\`.
- ${PINNED ? `The server has core ${SERVER_CORE} to itself and autocannon core ${LOAD_CORE} (\`taskset\`).` : 'Processes were not pinned to cores (this machine has one core, or no `taskset`).'}
  Pipelining keeps the server the bottleneck: unpipelined, autocannon's own core could cap the
  fastest variants (see [the findings](benchmark-findings.md#method)).
- Before any load each server answers one request alone (for Keyward, the token's first miss), so
  that the warm-up starts on a filled cache; see "V8 and the first miss" in the findings.
- The cache-hit verdict: Keyward against the floor, a middleware that does a SHA-256 of the header
  and one LRU lookup and nothing else, side by side. In each of ${s.pairedRounds} rounds a Keyward server and a
  floor server of the same framework run at the same time, both on the server core, each under its
  own autocannon: ${s.warmUpSeconds} s of warm-up load on both (Express takes seconds to reach its full speed;
  every framework gets the same warm-up), then ${s.pairedSeconds} s measured; which of the two starts first
  alternates. The scheduler gives each single-threaded server half the core, so the ratio of their
  req/s is the ratio of their CPU cost per request, and whatever the machine does to the core in
  those seconds, it does to both. The verdict is the median of the rounds' ratios, target ≥ ${HIT_TARGET * 100}% in
  every framework × store.
- Events, the audit log and metrics on the cache hit: in each framework a Keyward server on SQLite
  with a listener on every event type, \`audit: true\`, OpenTelemetry (an SDK MeterProvider with a pull
  reader) and prom-client (a Registry) runs side by side with the same server without them, in the
  same way for ${s.pairedRounds} rounds. Its start creates and revokes a token, so that events fire and audit rows
  are written; its auth.failures timer ticks every second; its metrics are collected once (OpenTelemetry
  and a prom-client scrape) between the warm-up and the measured seconds. The verdict is the median of
  the rounds' ratios, target ≥ ${OBSERVED_TARGET * 100}% of the plain server in every framework. These servers run side by
  side only, so the table has no row for them.
- Information, side by side in the same way for ${s.informationPairedRounds} rounds: the floor and the other of bare route
  and trivial middleware against the framework's reference.
- A pair counts only if the two servers together kept the core ${BUSY_FLOOR * 100}% busy from the first load's
  start to the last one's end, and each had ${share(-1)}–${share(1)}% of their CPU time (else one autocannon fell
  behind); otherwise it is run again, like a solo run below. Servers that work off the main thread
  (argon2id in the cache-off rows, the WebCrypto digests of bearerAuth, better-auth) would take more
  than half the core that way, so they run solo only.
- Solo runs, information and the comparisons with bearerAuth and better-auth: the variants run alone
  in ${s.soloRounds} interleaved rounds, ${s.soloSeconds} s each after ${s.soloWarmUpSeconds} s of warm-up load. req/s, latencies and server
  CPU time per request are the medians of those rounds (for a reference, of all its runs). Within a
  round each of a framework's variants runs between two runs of the framework's reference, and its
  solo ratio divides by that reference interpolated to when it ran; where those two reference runs
  differ by more than ${DRIFT_LIMIT * 100}%, the machine changed speed around the variant and that round is left
  out of its ratio. The comparisons with bearerAuth, better-auth and Hono's bare route are plain
  ratios of the solo runs within each round. Solo ratios move far more from round to round than
  side-by-side ones (see [the findings](benchmark-findings.md#method)).
- A run in which the server (side by side: the two servers) was on its core less than ${BUSY_FLOOR * 100}% of
  the time did not measure the server (autocannon fell behind, or the machine took the core away)
  and ${s.attempts === 1 ? 'was not run again (BENCH_ATTEMPTS=1)' : `was run again, at most ${s.attempts} times in all`}. A last attempt still short of that counts in its row
  but in no ratio, neither as a variant nor as a reference. Runs repeated: ${counts(attempts.repeated)}.
  Last attempts still short: ${counts(attempts.unsaturated)}.
- The reference is the bare route for Express and Koa, and for Hono a route behind a trivial
  one-line middleware (Hono leaves its single-handler fast path as soon as any middleware exists).
- Latencies include the time a request waits behind the others pipelined on its connection.`
}

export function renderMarkdown(input: ReportInput, command: string): string {
  const { rows, rounds, abuse, hotPath, settings } = input
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`
  return `# Benchmarks

Measured by \`${command}\` on ${new Date().toISOString().slice(0, 10)}: ${machine}. Generated; what
was found by hand on particular days is in [benchmark findings](benchmark-findings.md).

${method(input)}

![requests per second](benchmarks.svg)

${renderTable(rows)}

${renderVerdicts(rows, rounds, settings)
  .map((v) => `- ${v}`)
  .join('\n')}
${honoBareNote(rows, rounds, settings)}

The "cache off" rows run with the in-process cache off, so every request is a miss: a store read
and an argon2id verification. Concurrent requests for the same token still share one of each, as
they would in production, so these rows measure that sharing, not argon2id's own rate:
${missNotes(rows)}

A cache hit costs one SHA-256 of the Authorization header as it arrived, one map lookup by that
digest and a clock read. In process, without HTTP, \`check()\` on a cache hit took
${hotPath.check.toFixed(0)} ns a call, of which the SHA-256 of the header alone took ${hotPath.digest.toFixed(0)} ns (medians of
${HOT_PATH_BATCHES} batches of ${HOT_PATH_CALLS.toLocaleString('en')} calls). The floor rows (a middleware that does a SHA-256 of the header and one
LRU lookup, nothing else) show what any design that hashes the token on every request pays in each
framework; the trivial-middleware rows show what adding any middleware costs before it does anything.
Where the rest of the cost goes, and why, is in [benchmark findings](benchmark-findings.md).

## Abuse scenarios

${abuse.length === 0 ? 'Not run (BENCH_SKIP_ABUSE, or a run of some variants only).' : `\`\`\`\n${abuse.join('\n')}\n\`\`\``}
`
}
