import { ValueType } from '@opentelemetry/api'
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { describe, expect, it, vi } from 'vitest'
import type { Keyward } from './keyward-types.js'
import { KEYWARD_METRICS } from './metric-catalog.js'
import { registerOpenTelemetry } from './opentelemetry.js'
import { metricsInstance, refusal, sendTraffic, TRAFFIC_USER } from './testing/metric-traffic.js'

/** A reader that collects when asked, as a pull exporter does. */
class PullReader extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
}

function sdk() {
  const reader = new PullReader()
  const provider = new MeterProvider({ readers: [reader] })
  return {
    provider,
    /** The metrics of a meter (Keyward's own by default), by name, from one collection. */
    async collect(meter = '@keyward/core') {
      const { resourceMetrics, errors } = await reader.collect()
      expect(errors).toEqual([])
      const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === meter)
      return new Map((scope?.metrics ?? []).map((m) => [m.descriptor.name, m]))
    },
  }
}

type Collected = Awaited<ReturnType<ReturnType<typeof sdk>['collect']>>

const pointOf = (collected: Collected, name: string, attributes: Record<string, string> = {}) =>
  collected.get(name)?.dataPoints.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))
    ?.value

describe('registerOpenTelemetry, on the real SDK', () => {
  it('exports every metric with its name, unit, description and kind, and the values of stats()', async () => {
    const kw = await metricsInstance()
    const { provider, collect } = sdk()
    registerOpenTelemetry(kw, { meterProvider: provider })
    await sendTraffic(kw)
    const collected = await collect()
    const stats = kw.stats()

    expect([...collected.keys()].sort()).toEqual(KEYWARD_METRICS.map((m) => m.name).sort())
    for (const metric of KEYWARD_METRICS) {
      const data = collected.get(metric.name)
      expect(data?.descriptor).toMatchObject({ unit: metric.unit, description: metric.description })
      expect(data?.descriptor.valueType).toBe(metric.unit === 's' ? ValueType.DOUBLE : ValueType.INT)
      if (metric.kind === 'gauge') expect(data?.dataPointType).toBe(DataPointType.GAUGE)
      else
        expect(data).toMatchObject({
          dataPointType: DataPointType.SUM,
          isMonotonic: metric.kind === 'counter',
        })
    }
    // The traffic: a verification (miss), a hit, no token, a wrong secret.
    expect(pointOf(collected, 'keyward.cache.hits', { 'keyward.cache.level': 'local' })).toBe(1)
    expect(pointOf(collected, 'keyward.cache.hits', { 'keyward.cache.level': 'shared' })).toBe(0)
    expect(pointOf(collected, 'keyward.cache.misses', { 'keyward.cache.level': 'local' })).toBe(
      stats.cache.misses,
    )
    expect(stats.cache.misses).toBeGreaterThanOrEqual(1)
    expect(pointOf(collected, 'keyward.rejections', { 'keyward.rejection.reason': 'missing_token' })).toBe(1)
    expect(pointOf(collected, 'keyward.rejections', { 'keyward.rejection.reason': 'wrong_secret' })).toBe(1)
    expect(collected.get('keyward.rejections')?.dataPoints).toHaveLength(Object.keys(stats.rejections).length)
    expect(pointOf(collected, 'keyward.hash.verifications')).toBe(stats.hashVerifications)
    expect(stats.hashVerifications).toBeGreaterThanOrEqual(2)
    expect(pointOf(collected, 'keyward.store.reads')).toBe(stats.storeReads)
    expect(pointOf(collected, 'keyward.cache.size')).toBe(1)
    expect(
      pointOf(collected, 'keyward.store.breaker.status', { 'keyward.store.breaker.state': 'closed' }),
    ).toBe(1)
    expect(
      pointOf(collected, 'keyward.store.breaker.status', { 'keyward.store.breaker.state': 'open' }),
    ).toBe(0)
    expect(
      pointOf(collected, 'keyward.invalidation.subscribed', { 'keyward.invalidation.channel': 'local' }),
    ).toBeDefined()
    expect(pointOf(collected, 'keyward.invalidation.fallback_bound')).toBe(
      stats.invalidations.fallbackBound / 1000,
    )
  })

  it('reads stats() once per collection and never between collections', async () => {
    const kw = await metricsInstance()
    const { provider, collect } = sdk()
    const stats = vi.spyOn(kw, 'stats')
    const methods = { ...kw }
    registerOpenTelemetry(kw, { meterProvider: provider })
    expect(stats).not.toHaveBeenCalled()
    await sendTraffic(kw)
    expect(stats).not.toHaveBeenCalled()
    await collect()
    expect(stats).toHaveBeenCalledTimes(1)
    await sendTraffic(kw)
    expect(stats).toHaveBeenCalledTimes(1)
    const second = await collect()
    expect(stats).toHaveBeenCalledTimes(2)
    expect(pointOf(second, 'keyward.cache.hits', { 'keyward.cache.level': 'local' })).toBe(2)
    // Nothing of the instance was wrapped or replaced.
    expect({ ...kw }).toEqual(methods)
  })

  it('never exports a user id, token id or token', async () => {
    const kw = await metricsInstance()
    const { provider, collect } = sdk()
    registerOpenTelemetry(kw, { meterProvider: provider })
    const { token, tokenId } = await sendTraffic(kw)
    const attributes = JSON.stringify(
      [...(await collect()).values()].map((m) => m.dataPoints.map((p) => p.attributes)),
    )
    for (const secret of [TRAFFIC_USER, tokenId, token]) expect(attributes).not.toContain(secret)
  })

  it('unregister() stops the reads: later collections get no new value', async () => {
    const kw = await metricsInstance()
    const { provider, collect } = sdk()
    const stats = vi.spyOn(kw, 'stats')
    const registration = registerOpenTelemetry(kw, { meterProvider: provider })
    const values = (collected: Collected) =>
      [...collected.values()].map((m) => [
        m.descriptor.name,
        m.dataPoints.map((p) => [p.attributes, p.value]),
      ])
    const before = values(await collect())
    registration.unregister()
    registration.unregister()
    await sendTraffic(kw)
    expect(values(await collect())).toEqual(before)
    expect(stats).toHaveBeenCalledTimes(1)
  })

  it('several instances, told apart by their labels, in one callback', async () => {
    const [api, admin] = [await metricsInstance(), await metricsInstance()]
    const { provider, collect } = sdk()
    registerOpenTelemetry(
      [
        { keyward: api, labels: { realm: 'api' } },
        { keyward: admin, labels: { realm: 'admin' } },
      ],
      { meter: provider.getMeter('app') },
    )
    await sendTraffic(api)
    const collected = await collect('app')
    const hits = (realm: string) =>
      pointOf(collected, 'keyward.cache.hits', { realm, 'keyward.cache.level': 'local' })
    expect([hits('api'), hits('admin')]).toEqual([1, 0])
    expect(collected.get('keyward.rejections')?.dataPoints).toHaveLength(
      2 * Object.keys(api.stats().rejections).length,
    )
  })

  it('refuses bad options and sources, naming them, before registering anything', async () => {
    const kw = await metricsInstance()
    const { provider } = sdk()
    const meter = provider.getMeter('app')
    expect(refusal(() => registerOpenTelemetry(kw, { meter, meterProvider: provider }))).toMatch(
      /^invalid_option: registerOpenTelemetry: give meter or meterProvider, not both/,
    )
    expect(refusal(() => registerOpenTelemetry(kw, { meters: meter } as never))).toMatch(
      /unknown option "meters"/,
    )
    expect(refusal(() => registerOpenTelemetry(kw, { meter: {} as never }))).toMatch(
      /meter must be an OpenTelemetry Meter/,
    )
    expect(refusal(() => registerOpenTelemetry([kw, kw], { meter }))).toMatch(
      /two instances have the same labels \(none\)/,
    )
    expect(refusal(() => registerOpenTelemetry({ keyward: kw, labels: { reason: 'x' } }, { meter }))).toMatch(
      /label name "reason" is one of Keyward's own/,
    )
    expect(refusal(() => registerOpenTelemetry({ keyward: kw, labels: { 'a-b': 'x' } }, { meter }))).toMatch(
      /label name "a-b" is not valid/,
    )
    expect(refusal(() => registerOpenTelemetry([], { meter }))).toMatch(/no Keyward instance given/)
    expect(refusal(() => registerOpenTelemetry({} as Keyward, { meter }))).toMatch(
      /unknown key|keyward must be/,
    )
  })
})
