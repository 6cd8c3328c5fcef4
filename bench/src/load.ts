/**
 * The load generator, in a process of its own so that it neither shares a core with the server nor
 * with the orchestrator's own work. Reads one JSON job from argv, prints one JSON result line.
 */
import autocannon from 'autocannon'

export type LoadJob = {
  url: string
  authorization: string | null
  connections: number
  pipelining: number
  seconds: number
}

export type LoadResult = {
  reqsPerSecond: number
  total: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** When the load started (ms since the epoch) and how long it ran, in ms (autocannon's own measure). */
  startedAt: number
  durationMs: number
  /** The share of that time this process was on a CPU: near 1, autocannon itself was the limit. */
  loadBusy: number
}

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob
const cpuBefore = process.cpuUsage()
const startedAt = Date.now()
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  pipelining: job.pipelining,
  duration: job.seconds,
  headers: job.authorization ? { authorization: job.authorization } : {},
})
const cpu = process.cpuUsage(cpuBefore)
const durationMs = result.duration * 1000
const answer: LoadResult = {
  reqsPerSecond: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
  startedAt,
  durationMs,
  loadBusy: (cpu.user + cpu.system) / 1000 / durationMs,
}
console.info(JSON.stringify(answer))
