import {
  type BatchObservableResult,
  type Meter,
  type MeterProvider,
  metrics,
  type Observable,
  ValueType,
} from '@opentelemetry/api'
import { KEYWARD_METRICS } from './metric-catalog.js'
import { type KeywardMetric, METRIC_ATTRIBUTES, type MetricPoint } from './metric-definition.js'
import { type MetricsRegistration, type MetricsSource, metricSources } from './metric-sources.js'
import { assertKnownKeys, invalidOption } from './option-checks.js'

export type { MetricsRegistration, MetricsSource } from './metric-sources.js'

export type OpenTelemetryOptions = {
  /** The meter to register the instruments on. Default: one named `@keyward/core` from the provider. */
  meter?: Meter
  /** The provider to take that meter from. Default: the global one (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider
}

const OPTIONS = new Set(['meter', 'meterProvider'])
const SCOPE = '@keyward/core'
const WHERE = 'registerOpenTelemetry'

function meterOf(options: OpenTelemetryOptions): Meter {
  if (typeof options !== 'object' || options === null) invalidOption(`${WHERE}: options must be an object.`)
  assertKnownKeys(options, OPTIONS, (key) => `${WHERE}: unknown option ${JSON.stringify(key)}`)
  if (options.meter !== undefined && options.meterProvider !== undefined) {
    invalidOption(`${WHERE}: give meter or meterProvider, not both.`)
  }
  if (options.meterProvider !== undefined && typeof options.meterProvider?.getMeter !== 'function') {
    invalidOption(`${WHERE}: meterProvider must be an OpenTelemetry MeterProvider.`)
  }
  const meter = options.meter ?? (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  // Batch callbacks came with the metrics API of @opentelemetry/api 1.3.
  if (typeof meter?.addBatchObservableCallback !== 'function') {
    invalidOption(`${WHERE}: meter must be an OpenTelemetry Meter (@opentelemetry/api 1.3 or later).`)
  }
  return meter
}

function instrumentOf(meter: Meter, metric: KeywardMetric): Observable {
  const options = {
    description: metric.description,
    unit: metric.unit,
    // Counts are whole numbers; only durations (seconds) have a fraction.
    valueType: metric.unit === 's' ? ValueType.DOUBLE : ValueType.INT,
  }
  if (metric.kind === 'counter') return meter.createObservableCounter(metric.name, options)
  if (metric.kind === 'updowncounter') return meter.createObservableUpDownCounter(metric.name, options)
  return meter.createObservableGauge(metric.name, options)
}

function attributesOf(point: MetricPoint, labels: Readonly<Record<string, string>>): Record<string, string> {
  const attributes: Record<string, string> = { ...labels }
  for (const [key, value] of Object.entries(point.attributes)) {
    attributes[METRIC_ATTRIBUTES[key as keyof typeof METRIC_ATTRIBUTES].openTelemetry] = value
  }
  return attributes
}

/**
 * Registers Keyward's metrics (docs/metrics.md) as observable instruments on an OpenTelemetry meter.
 * One batch callback reads each instance's `stats()` once per collection: nothing is added to the
 * request path. `unregister()` removes the callback: the instruments get no new value (OpenTelemetry has no way
 * to remove an instrument).
 */
export function registerOpenTelemetry(
  source: MetricsSource | readonly MetricsSource[],
  options: OpenTelemetryOptions = {},
): MetricsRegistration {
  const sources = metricSources(source, WHERE)
  const meter = meterOf(options)
  const instruments = KEYWARD_METRICS.map((metric) => ({ metric, instrument: instrumentOf(meter, metric) }))
  const observables = instruments.map(({ instrument }) => instrument)
  const collect = (result: BatchObservableResult) => {
    for (const { stats, labels } of sources) {
      const snapshot = stats()
      for (const { metric, instrument } of instruments) {
        for (const point of metric.points(snapshot)) {
          result.observe(instrument, point.value, attributesOf(point, labels))
        }
      }
    }
  }
  meter.addBatchObservableCallback(collect, observables)
  let registered = true
  return {
    unregister() {
      if (!registered) return
      registered = false
      meter.removeBatchObservableCallback(collect, observables)
    },
  }
}
