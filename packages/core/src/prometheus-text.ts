import type { KeywardStats } from './keyward-stats.js'
import { KEYWARD_METRICS } from './metric-catalog.js'
import {
  type KeywardMetric,
  METRIC_ATTRIBUTES,
  type MetricPoint,
  prometheusName,
} from './metric-definition.js'
import { type MetricsSource, metricSources } from './metric-sources.js'

/**
 * Keyward's metrics in the Prometheus text exposition format 0.0.4, written here rather than with a
 * library: the format is a few lines of text, and apps that serve only this need no dependency.
 * Apps already on prom-client use `registerPrometheus` instead.
 */

/** The `Content-Type` of the text `prometheusExposition` returns. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const PROMETHEUS_TYPES = { counter: 'counter', updowncounter: 'gauge', gauge: 'gauge' } as const

// The format's escapes: backslash and line feed in HELP, and the double quote too in label values.
const escapeHelp = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
const escapeLabel = (text: string) => escapeHelp(text).replaceAll('"', '\\"')

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

/** The labels of a sample: the source's, then the point's, in the Prometheus names. */
export function prometheusLabels(
  point: MetricPoint,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const all: Record<string, string> = { ...labels }
  for (const [key, value] of Object.entries(point.attributes)) {
    all[METRIC_ATTRIBUTES[key as keyof typeof METRIC_ATTRIBUTES].prometheus] = value
  }
  return all
}

type Snapshot = { readonly stats: KeywardStats; readonly labels: Readonly<Record<string, string>> }

function family(metric: KeywardMetric, snapshots: readonly Snapshot[]): string {
  const name = prometheusName(metric)
  const lines = [
    `# HELP ${name} ${escapeHelp(metric.description)}`,
    `# TYPE ${name} ${PROMETHEUS_TYPES[metric.kind]}`,
  ]
  for (const { stats, labels } of snapshots) {
    for (const point of metric.points(stats)) {
      const pairs = Object.entries(prometheusLabels(point, labels)).map(
        ([k, v]) => `${k}="${escapeLabel(v)}"`,
      )
      lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(point.value)}`)
    }
  }
  return lines.join('\n')
}

/**
 * The current metrics of one instance, or of several told apart by their labels, as the body of a
 * `/metrics` response (served with `PROMETHEUS_CONTENT_TYPE`). Reads each `stats()` once.
 */
export function prometheusExposition(source: MetricsSource | readonly MetricsSource[]): string {
  const snapshots = metricSources(source, 'prometheusExposition').map(({ stats, labels }) => ({
    stats: stats(),
    labels,
  }))
  return `${KEYWARD_METRICS.map((metric) => family(metric, snapshots)).join('\n')}\n`
}
