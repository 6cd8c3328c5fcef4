import { createRequire } from 'node:module'
import type { Counter, Gauge } from 'prom-client'
import { KeywardError } from './errors.js'
import type { KeywardStats } from './keyward-stats.js'
import { KEYWARD_METRICS } from './metric-catalog.js'
import { type KeywardMetric, METRIC_ATTRIBUTES, prometheusName } from './metric-definition.js'
import {
  type LabeledSource,
  type MetricsRegistration,
  type MetricsSource,
  metricSources,
} from './metric-sources.js'
import { invalidOption } from './option-checks.js'
import { prometheusLabels } from './prometheus-text.js'

/**
 * The part of a prom-client `Registry` (prom-client 13 to 15) that `registerPrometheus` uses, spelt
 * out so that the types of this subpath do not need prom-client installed.
 */
export type PrometheusRegistry = {
  registerMetric(metric: never): void
  getSingleMetric(name: string): unknown
  removeSingleMetric(name: string): void
}

type PromClient = typeof import('prom-client')
type Snapshot = { readonly stats: KeywardStats; readonly labels: Readonly<Record<string, string>> }

const WHERE = 'registerPrometheus'

function loadPromClient(): PromClient {
  try {
    // Loaded synchronously, so that an app registers at start-up without awaiting (prom-client is
    // CommonJS), and only here: prometheusExposition needs no prom-client.
    return createRequire(import.meta.url)('prom-client') as PromClient
  } catch (error) {
    throw new KeywardError(
      'invalid_option',
      `${WHERE} needs the "prom-client" package: npm install prom-client`,
      {
        cause: error,
      },
    )
  }
}

function assertRegistry(registry: unknown): asserts registry is PrometheusRegistry {
  const methods = ['registerMetric', 'getSingleMetric', 'removeSingleMetric'] as const
  const shaped =
    typeof registry === 'object' &&
    registry !== null &&
    methods.every((name) => typeof (registry as Record<string, unknown>)[name] === 'function')
  if (!shaped) invalidOption(`${WHERE}: registry must be a prom-client Registry; got ${String(registry)}.`)
}

/**
 * The instances' stats, read once per scrape: prom-client (13 to 15) calls the `collect()` of every
 * metric of a registry in one synchronous pass, and the snapshot is dropped once that pass is over.
 */
function perScrape(sources: readonly LabeledSource[]): () => readonly Snapshot[] {
  let current: Snapshot[] | null = null
  return () => {
    if (current === null) {
      current = sources.map(({ stats, labels }) => ({ stats: stats(), labels }))
      queueMicrotask(() => {
        current = null
      })
    }
    return current
  }
}

type Sample = { labels: Record<string, string>; value: number }

function samples(metric: KeywardMetric, snapshots: readonly Snapshot[]): Sample[] {
  return snapshots.flatMap(({ stats, labels }) =>
    metric.points(stats).map((point) => ({ labels: prometheusLabels(point, labels), value: point.value })),
  )
}

function metricOf(
  client: PromClient,
  metric: KeywardMetric,
  labelNames: readonly string[],
  snapshots: () => readonly Snapshot[],
): Counter<string> | Gauge<string> {
  const config = { name: prometheusName(metric), help: metric.description, labelNames, registers: [] }
  if (metric.kind === 'counter') {
    return new client.Counter({
      ...config,
      collect(this: Counter<string>) {
        this.reset()
        for (const { labels, value } of samples(metric, snapshots())) this.inc(labels, value)
      },
    })
  }
  return new client.Gauge({
    ...config,
    collect(this: Gauge<string>) {
      this.reset()
      for (const { labels, value } of samples(metric, snapshots())) this.set(labels, value)
    },
  })
}

/**
 * Registers Keyward's metrics (docs/metrics.md) on a prom-client registry, for apps that serve
 * prom-client's `/metrics`: each reads `stats()` in its `collect()`, once per scrape, and nothing is
 * added to the request path. Refuses, registering nothing, if a name is taken.
 */
export function registerPrometheus(
  source: MetricsSource | readonly MetricsSource[],
  registry: PrometheusRegistry,
): MetricsRegistration {
  const sources = metricSources(source, WHERE)
  assertRegistry(registry)
  const taken = KEYWARD_METRICS.map(prometheusName).filter(
    (name) => registry.getSingleMetric(name) !== undefined,
  )
  if (taken.length > 0) invalidOption(`${WHERE}: the registry already has ${taken.join(', ')}.`)
  const client = loadPromClient()
  const sourceLabels = [...new Set(sources.flatMap(({ labels }) => Object.keys(labels)))]
  const snapshots = perScrape(sources)
  const registered = KEYWARD_METRICS.map((metric) => {
    const labelNames = [...sourceLabels, ...metric.attributes.map((key) => METRIC_ATTRIBUTES[key].prometheus)]
    const made = metricOf(client, metric, labelNames, snapshots)
    registry.registerMetric(made as never)
    return { name: prometheusName(metric), made }
  })
  return {
    unregister() {
      // Only what is still ours: the app may have put another metric under a name since.
      for (const { name, made } of registered) {
        if (registry.getSingleMetric(name) === made) registry.removeSingleMetric(name)
      }
    },
  }
}
