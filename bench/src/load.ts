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
}

const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  pipelining: job.pipelining,
  duration: job.seconds,
  headers: job.authorization ? { authorization: job.authorization } : {},
})
const answer: LoadResult = {
  reqsPerSecond: result.requests.average,
  total: result.requests.total,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors,
}
console.info(JSON.stringify(answer))
