import type { KeywardStats } from './keyward-stats.js'

/**
 * How a metric is described (see metric-catalog.ts for the metrics): its OpenTelemetry name, kind,
 * unit and attributes, and how its points are read from a `KeywardStats` snapshot.
 */

/** Counter: only goes up. UpDownCounter: a count that goes up and down. Gauge: a current value. */
export type MetricKind = 'counter' | 'updowncounter' | 'gauge'

/** The attributes a point may carry, each of a few fixed values: never a user, token or client. */
export const METRIC_ATTRIBUTES = {
  level: { openTelemetry: 'keyward.cache.level', prometheus: 'level' },
  reason: { openTelemetry: 'keyward.rejection.reason', prometheus: 'reason' },
  refusal: { openTelemetry: 'keyward.store.refusal.reason', prometheus: 'reason' },
  state: { openTelemetry: 'keyward.store.breaker.state', prometheus: 'state' },
  channel: { openTelemetry: 'keyward.invalidation.channel', prometheus: 'channel' },
} as const

export type MetricAttribute = keyof typeof METRIC_ATTRIBUTES

export type MetricPoint = {
  readonly value: number
  readonly attributes: Readonly<Partial<Record<MetricAttribute, string>>>
}

export type KeywardMetric = {
  /** The OpenTelemetry name. */
  readonly name: string
  readonly kind: MetricKind
  /** UCUM: `{request}`-style annotations for counts, `s` for durations, `1` for a yes/no. */
  readonly unit: string
  readonly description: string
  readonly attributes: readonly MetricAttribute[]
  /** The fields of `KeywardStats` it reads (`rejections.*`: every key there). */
  readonly reads: readonly string[]
  readonly points: (stats: KeywardStats) => readonly MetricPoint[]
}

/** `cache.hits`, `storeReads`, ...: the path of every number in `KeywardStats`. */
type NumberPath<T> = {
  [K in keyof T & string]: T[K] extends number
    ? K
    : T[K] extends Record<string, unknown>
      ? `${K}.${NumberPath<T[K]>}`
      : never
}[keyof T & string]

export type StatsNumber = NumberPath<KeywardStats>

function valueAt(stats: KeywardStats, path: StatsNumber): number {
  let value: unknown = stats
  for (const key of path.split('.')) value = (value as Record<string, unknown>)[key]
  return value as number
}

export const NO_ATTRIBUTES: MetricPoint['attributes'] = Object.freeze({})

/** A metric of one field, with no attributes. */
function single(kind: MetricKind, name: string, unit: string, path: StatsNumber, description: string) {
  return {
    name,
    kind,
    unit,
    description,
    attributes: [],
    reads: [path],
    points: (stats: KeywardStats) => [{ value: valueAt(stats, path), attributes: NO_ATTRIBUTES }],
  } satisfies KeywardMetric
}

export const counter = (name: string, unit: string, path: StatsNumber, description: string) =>
  single('counter', name, unit, path, description)
export const upDown = (name: string, unit: string, path: StatsNumber, description: string) =>
  single('updowncounter', name, unit, path, description)
export const gauge = (name: string, unit: string, path: StatsNumber, description: string) =>
  single('gauge', name, unit, path, description)

/** One point per value of `attribute`, each read from its field. */
export function split(
  base: Omit<KeywardMetric, 'attributes' | 'reads' | 'points'>,
  attribute: MetricAttribute,
  fields: Readonly<Record<string, StatsNumber>>,
): KeywardMetric {
  const entries = Object.entries(fields)
  return {
    ...base,
    attributes: [attribute],
    reads: Object.values(fields),
    points: (stats) =>
      entries.map(([value, path]) => ({ value: valueAt(stats, path), attributes: { [attribute]: value } })),
  }
}

// OpenTelemetry's Prometheus mapping: UCUM units to words; annotations (`{read}`) and `1` add nothing.
const PROMETHEUS_UNITS: Readonly<Record<string, string>> = { s: 'seconds', By: 'bytes' }

/**
 * The Prometheus name: dots to underscores, the unit as a word, `_total` on a counter, as
 * OpenTelemetry's Prometheus exporters name the same metric.
 */
export function prometheusName(metric: Pick<KeywardMetric, 'name' | 'kind' | 'unit'>): string {
  const unit = PROMETHEUS_UNITS[metric.unit]
  let name = metric.name.replaceAll('.', '_')
  if (unit !== undefined && !name.endsWith(`_${unit}`)) name += `_${unit}`
  return metric.kind === 'counter' ? `${name}_total` : name
}
