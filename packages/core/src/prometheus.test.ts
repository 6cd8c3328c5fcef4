import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { Counter, type OpenMetricsContentType, Registry } from 'prom-client'
import { describe, expect, it, vi } from 'vitest'
import { KEYWARD_METRICS } from './metric-catalog.js'
import { prometheusName } from './metric-definition.js'
import type { MetricsSource } from './metric-sources.js'
import { PROMETHEUS_CONTENT_TYPE, prometheusExposition, registerPrometheus } from './prometheus.js'
import { metricsInstance, refusal, sendTraffic, TRAFFIC_USER } from './testing/metric-traffic.js'

/** The parsed text, families by name, each sample's labels sorted: to compare two expositions. */
function parsed(text: string) {
  return new Map(
    parsePrometheusTextFormat(text).map((family) => [
      family.name,
      {
        type: family.type,
        help: family.help,
        samples: family.metrics
          .map(({ value, labels }) => ({ value: Number(value), labels: Object.entries(labels ?? {}).sort() }))
          .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels))),
      },
    ]),
  )
}

const sample = (text: string, name: string, labels: Record<string, string> = {}) =>
  parsed(text)
    .get(name)
    ?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(Object.entries(labels).sort()))?.value

describe('prometheusExposition', () => {
  it('writes every metric with HELP, TYPE, the base-unit name and the values of stats()', async () => {
    const kw = await metricsInstance()
    await sendTraffic(kw)
    const text = prometheusExposition(kw)
    const stats = kw.stats()
    const families = parsed(text)

    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(text.endsWith('\n')).toBe(true)
    expect([...families.keys()]).toEqual(KEYWARD_METRICS.map(prometheusName))
    for (const metric of KEYWARD_METRICS) {
      const name = prometheusName(metric)
      expect(families.get(name)).toMatchObject({
        type: metric.kind === 'counter' ? 'COUNTER' : 'GAUGE',
        help: metric.description,
      })
      // HELP, then TYPE, then the samples.
      expect(text).toContain(`# HELP ${name} ${metric.description}\n# TYPE ${name} `)
    }
    expect(sample(text, 'keyward_cache_hits_total', { level: 'local' })).toBe(1)
    expect(sample(text, 'keyward_cache_hits_total', { level: 'shared' })).toBe(0)
    expect(sample(text, 'keyward_rejections_total', { reason: 'missing_token' })).toBe(1)
    expect(sample(text, 'keyward_rejections_total', { reason: 'wrong_secret' })).toBe(1)
    expect(sample(text, 'keyward_hash_verifications_total')).toBe(stats.hashVerifications)
    expect(sample(text, 'keyward_cache_size')).toBe(1)
    expect(sample(text, 'keyward_store_breaker_status', { state: 'closed' })).toBe(1)
    expect(sample(text, 'keyward_store_refused_reads_total', { reason: 'breaker_open' })).toBe(0)
    expect(sample(text, 'keyward_invalidation_fallback_bound_seconds')).toBe(
      stats.invalidations.fallbackBound / 1000,
    )
  })

  it('reads stats() once per exposition, and carries no user id, token id or token', async () => {
    const kw = await metricsInstance()
    const { token, tokenId } = await sendTraffic(kw)
    const stats = vi.spyOn(kw, 'stats')
    const text = prometheusExposition(kw)
    expect(stats).toHaveBeenCalledTimes(1)
    for (const secret of [TRAFFIC_USER, tokenId, token]) expect(text).not.toContain(secret)
  })

  it('tells instances apart by their labels, escaped as the format wants', async () => {
    const [api, admin] = [await metricsInstance(), await metricsInstance()]
    await sendTraffic(api)
    const awkward = 'a\\b "c"\nd'
    const text = prometheusExposition([
      { keyward: api, labels: { realm: 'api' } },
      { keyward: admin, labels: { realm: awkward } },
    ])
    expect(text).toContain(`keyward_store_reads_total{realm="a\\\\b \\"c\\"\\nd"} 0\n`)
    expect(sample(text, 'keyward_cache_hits_total', { realm: 'api', level: 'local' })).toBe(1)
    expect(sample(text, 'keyward_cache_hits_total', { realm: awkward, level: 'local' })).toBe(0)
  })

  it('writes what prom-client writes for the same metrics', async () => {
    const [api, admin] = [await metricsInstance(), await metricsInstance()]
    await sendTraffic(api)
    const sources: MetricsSource[] = [
      { keyward: api, labels: { realm: 'api' } },
      { keyward: admin, labels: { realm: 'a\\b "c"\nd' } },
    ]
    const registry = new Registry()
    registerPrometheus(sources, registry)
    expect(parsed(await registry.metrics())).toEqual(parsed(prometheusExposition(sources)))
  })
})

describe('registerPrometheus', () => {
  it('registers every metric on the registry; a scrape reads stats() once, and nothing between scrapes', async () => {
    const kw = await metricsInstance()
    const stats = vi.spyOn(kw, 'stats')
    const registry = new Registry()
    registerPrometheus(kw, registry)
    await sendTraffic(kw)
    expect(stats).not.toHaveBeenCalled()
    const first = await registry.metrics()
    expect(stats).toHaveBeenCalledTimes(1)
    expect([...parsed(first).keys()].sort()).toEqual(KEYWARD_METRICS.map(prometheusName).sort())
    expect(sample(first, 'keyward_cache_hits_total', { level: 'local' })).toBe(1)
    await sendTraffic(kw)
    expect(stats).toHaveBeenCalledTimes(1)
    const second = await registry.metrics()
    expect(stats).toHaveBeenCalledTimes(2)
    expect(sample(second, 'keyward_cache_hits_total', { level: 'local' })).toBe(2)
    expect(registry.contentType).toBe(PROMETHEUS_CONTENT_TYPE)
  })

  it('works on an OpenMetrics registry too', async () => {
    const kw = await metricsInstance()
    await sendTraffic(kw)
    const registry = new Registry<OpenMetricsContentType>()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    registerPrometheus(kw, registry)
    const text = await registry.metrics()
    expect(text).toContain('# TYPE keyward_store_reads counter\n')
    expect(text).toMatch(/\nkeyward_cache_hits_total\{level="local"\} 1\n/)
  })

  it('unregister() removes its metrics, and only its own', async () => {
    const kw = await metricsInstance()
    const stats = vi.spyOn(kw, 'stats')
    const registry = new Registry()
    const registration = registerPrometheus(kw, registry)
    registry.removeSingleMetric('keyward_store_reads_total')
    const mine = new Counter({
      name: 'keyward_store_reads_total',
      help: 'the app’s own',
      registers: [registry],
    })
    registration.unregister()
    expect(registry.getMetricsAsArray()).toEqual([mine])
    await registry.metrics()
    expect(stats).not.toHaveBeenCalled()
  })

  it('refuses a registry where a name is taken, registering nothing, and what is not a registry', async () => {
    const kw = await metricsInstance()
    const registry = new Registry()
    new Counter({ name: 'keyward_rejections_total', help: 'taken', registers: [registry] })
    expect(refusal(() => registerPrometheus(kw, registry))).toBe(
      'invalid_option: registerPrometheus: the registry already has keyward_rejections_total.',
    )
    expect(registry.getMetricsAsArray()).toHaveLength(1)
    expect(refusal(() => registerPrometheus(kw, {} as Registry))).toMatch(
      /registry must be a prom-client Registry/,
    )
    expect(refusal(() => registerPrometheus([kw, kw], new Registry()))).toMatch(/same labels/)
  })
})
