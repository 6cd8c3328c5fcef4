import type { KeywardStats } from './keyward-stats.js'
import type { Keyward } from './keyward-types.js'
import { METRIC_ATTRIBUTES } from './metric-definition.js'
import { assertKnownKeys, invalidOption } from './option-checks.js'

/**
 * The instances an exporter reads: one, or several told apart by labels of the app's choosing
 * (`{ keyward: kw, labels: { realm: 'admin' } }`). The exporters only ever call `stats()`.
 */
export type MetricsSource =
  | Pick<Keyward, 'stats'>
  | { readonly keyward: Pick<Keyward, 'stats'>; readonly labels: Readonly<Record<string, string>> }

/** What an exporter registered; `unregister()` stops it reading the instances. */
export type MetricsRegistration = { unregister(): void }

export type LabeledSource = {
  readonly stats: () => KeywardStats
  readonly labels: Readonly<Record<string, string>>
}

// A name valid as a Prometheus label and as an OpenTelemetry attribute; `__` is Prometheus's own.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const RESERVED: ReadonlySet<string> = new Set(
  Object.values(METRIC_ATTRIBUTES).flatMap((a) => [a.prometheus, a.openTelemetry]),
)
const SOURCE_KEYS = new Set(['keyward', 'labels'])

const hasStats = (value: unknown): value is Pick<Keyward, 'stats'> =>
  typeof value === 'object' && value !== null && typeof (value as { stats?: unknown }).stats === 'function'

function labelsOf(value: unknown, where: string): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalidOption(`${where}: labels must be an object of strings; got ${String(value)}.`)
  }
  const labels: Record<string, string> = {}
  for (const [name, label] of Object.entries(value)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      invalidOption(
        `${where}: label name ${JSON.stringify(name)} is not valid (letters, digits and _, not starting with a digit or __).`,
      )
    }
    if (RESERVED.has(name))
      invalidOption(`${where}: label name ${JSON.stringify(name)} is one of Keyward's own.`)
    if (typeof label !== 'string') {
      invalidOption(`${where}: label ${JSON.stringify(name)} must be a string; got ${String(label)}.`)
    }
    labels[name] = label
  }
  return labels
}

function sourceOf(value: unknown, where: string): LabeledSource {
  if (hasStats(value)) return { stats: () => value.stats(), labels: {} }
  if (typeof value !== 'object' || value === null) {
    invalidOption(`${where}: expected a Keyward instance or { keyward, labels }; got ${String(value)}.`)
  }
  assertKnownKeys(value, SOURCE_KEYS, (key) => `${where}: unknown key ${JSON.stringify(key)}`)
  const { keyward, labels } = value as { keyward?: unknown; labels?: unknown }
  if (!hasStats(keyward))
    invalidOption(`${where}: keyward must be a Keyward instance; got ${String(keyward)}.`)
  return { stats: () => keyward.stats(), labels: labelsOf(labels, where) }
}

/**
 * The sources, checked: each an instance or `{ keyward, labels }`, no two with the same labels (their
 * series would be the same). `where` names the caller in the messages.
 */
export function metricSources(input: unknown, where: string): LabeledSource[] {
  const list = Array.isArray(input) ? (input as unknown[]) : [input]
  if (list.length === 0) invalidOption(`${where}: no Keyward instance given.`)
  const sources = list.map((value) => sourceOf(value, where))
  const seen = new Set<string>()
  for (const { labels } of sources) {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))
    if (seen.has(key)) {
      invalidOption(
        `${where}: two instances have the same labels (${key === '[]' ? 'none' : key}); give each distinct labels.`,
      )
    }
    seen.add(key)
  }
  return sources
}
