import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { KeywardStats } from './keyward-stats.js'
import { KEYWARD_METRICS, UNEXPORTED_STATS } from './metric-catalog.js'
import { type KeywardMetric, METRIC_ATTRIBUTES, prometheusName } from './metric-definition.js'
import { metricsInstance, sendTraffic } from './testing/metric-traffic.js'

/** Every leaf of the stats object (number, boolean or string), by path. */
function leaves(value: unknown, path = ''): Map<string, unknown> {
  const found = new Map<string, unknown>()
  if (typeof value !== 'object' || value === null) return found.set(path, value)
  for (const [key, inner] of Object.entries(value)) {
    for (const [leaf, v] of leaves(inner, path ? `${path}.${key}` : key)) found.set(leaf, v)
  }
  return found
}

const reads = (metric: KeywardMetric, path: string) =>
  metric.reads.some((read) => read === path || (read.endsWith('.*') && path.startsWith(read.slice(0, -1))))

/** The same stats with one leaf changed (a number moved, a flag flipped, a state replaced). */
function changed(stats: KeywardStats, path: string): KeywardStats {
  const copy = structuredClone(stats) as unknown as Record<string, unknown>
  const keys = path.split('.')
  const last = keys.pop() as string
  const parent = keys.reduce((o, k) => o[k] as Record<string, unknown>, copy)
  const value = parent[last]
  const other: Record<string, string> = { closed: 'open', open: 'closed', none: 'postgres', local: 'redis' }
  parent[last] =
    typeof value === 'number'
      ? value + 7
      : typeof value === 'boolean'
        ? !value
        : (other[String(value)] ?? 'store')
  return copy as unknown as KeywardStats
}

describe('the metric catalog', () => {
  it('covers every field of stats(), or lists it as unexported with a reason', async () => {
    const fields = leaves((await metricsInstance()).stats())
    const uncovered = [...fields.keys()].filter(
      (path) => !KEYWARD_METRICS.some((m) => reads(m, path)) && UNEXPORTED_STATS[path] === undefined,
    )
    expect(uncovered).toEqual([])
    for (const [path, reason] of Object.entries(UNEXPORTED_STATS)) {
      expect(fields.has(path), `${path} is not a field of stats()`).toBe(true)
      expect(reason.length).toBeGreaterThan(10)
    }
    // Nothing claims a field that is not there.
    for (const metric of KEYWARD_METRICS) {
      for (const read of metric.reads) {
        const prefix = read.endsWith('.*') ? read.slice(0, -1) : null
        const exists = prefix ? [...fields.keys()].some((p) => p.startsWith(prefix)) : fields.has(read)
        expect(exists, `${metric.name} reads ${read}`).toBe(true)
      }
    }
  })

  it('each metric really reads the fields it claims: changing one changes its points', async () => {
    const kw = await metricsInstance()
    await sendTraffic(kw)
    const stats = kw.stats()
    for (const path of leaves(stats).keys()) {
      const readers = KEYWARD_METRICS.filter((m) => reads(m, path))
      const other = changed(stats, path)
      for (const metric of readers) {
        expect(metric.points(other), `${metric.name} on ${path}`).not.toEqual(metric.points(stats))
      }
      for (const metric of KEYWARD_METRICS.filter((m) => !readers.includes(m))) {
        expect(metric.points(other), `${metric.name} does not read ${path}`).toEqual(metric.points(stats))
      }
    }
  })

  it('names and units follow the OpenTelemetry conventions; Prometheus names follow from them', () => {
    const names = KEYWARD_METRICS.map((m) => m.name)
    expect(new Set(names).size).toBe(names.length)
    for (const metric of KEYWARD_METRICS) {
      expect(metric.name).toMatch(/^keyward(\.[a-z][a-z0-9_]*)+$/)
      expect(metric.name).not.toMatch(/total$/)
      expect(metric.unit).toMatch(/^(\{[a-z]+\}|1|s)$/)
      expect(metric.description).toMatch(/^\S.*\.$/)
      const prometheus = prometheusName(metric)
      expect(prometheus).toMatch(/^keyward_[a-z0-9_]+$/)
      expect(prometheus.endsWith('_total')).toBe(metric.kind === 'counter')
      if (metric.unit === 's') expect(prometheus).toMatch(/_seconds$/)
    }
    // No name is also a namespace of another (OpenTelemetry's naming rule).
    for (const name of names) expect(names.filter((n) => n.startsWith(`${name}.`))).toEqual([])
    const prometheusNames = KEYWARD_METRICS.map(prometheusName)
    expect(new Set(prometheusNames).size).toBe(prometheusNames.length)
    expect(prometheusName({ name: 'keyward.x.wait', kind: 'counter', unit: 's' })).toBe(
      'keyward_x_wait_seconds_total',
    )
  })

  it('points carry exactly the declared attributes, each of a few fixed values', async () => {
    const kw = await metricsInstance()
    await sendTraffic(kw)
    for (const metric of KEYWARD_METRICS) {
      const points = metric.points(kw.stats())
      expect(points.length).toBeGreaterThan(0)
      expect(points.length).toBeLessThanOrEqual(19)
      for (const point of points) {
        expect(Object.keys(point.attributes).sort()).toEqual([...metric.attributes].sort())
        expect(Number.isFinite(point.value)).toBe(true)
      }
    }
    expect(Object.keys(METRIC_ATTRIBUTES).sort()).toEqual(['channel', 'level', 'reason', 'refusal', 'state'])
  })

  it('docs/metrics.md describes every metric, by both names, and every attribute', () => {
    const docs = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8')
    for (const metric of KEYWARD_METRICS) {
      expect(docs).toContain(`\`${metric.name}\``)
      expect(docs).toContain(`\`${prometheusName(metric)}\``)
    }
    for (const { openTelemetry, prometheus } of Object.values(METRIC_ATTRIBUTES)) {
      expect(docs).toContain(`\`${openTelemetry}\``)
      expect(docs).toContain(`\`${prometheus}\``)
    }
  })
})
