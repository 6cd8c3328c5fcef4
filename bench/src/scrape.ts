/**
 * One scrape of an observed server's metrics endpoint (see observed.ts), between the warm-up and the
 * measured seconds of its pair: it shows that the metrics count the requests served, and that a
 * collection in the middle of the load leaves the hit path as it was.
 */

const LOCAL_HITS = /^keyward_cache_hits_total\{level="local"\} (\d+)$/m

/** The in-process cache hits a Prometheus text exposition counts; null when it has no such line. */
export function localHits(exposition: string): number | null {
  const hits = LOCAL_HITS.exec(exposition)?.[1]
  return hits === undefined ? null : Number(hits)
}

/** Scrapes `GET /metrics` once; throws unless it answers and counts at least `atLeast` local hits. */
export async function scrapeMetrics(name: string, port: number, atLeast: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })
  const text = await response.text()
  if (response.status !== 200)
    throw new Error(`${name}: the metrics endpoint answered ${response.status}: ${text}`)
  const hits = localHits(text)
  if (hits === null || hits < atLeast)
    throw new Error(
      `${name}: the metrics counted ${hits ?? 'no'} local cache hits, expected at least ${atLeast}`,
    )
  return hits
}
