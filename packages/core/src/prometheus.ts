/**
 * `@keyward/core/prometheus`: Keyward's metrics for Prometheus, as exposition text (no dependency)
 * or registered on a prom-client registry (prom-client as an optional peer, loaded only then).
 */
export type { MetricsRegistration, MetricsSource } from './metric-sources.js'
export { type PrometheusRegistry, registerPrometheus } from './prom-client-registry.js'
export { PROMETHEUS_CONTENT_TYPE, prometheusExposition } from './prometheus-text.js'
