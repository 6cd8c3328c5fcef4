/**
 * What an observed benchmark server (guard `observed: true`) adds to its Keyward instance before the
 * load, as an application that watches its tokens would: a listener on every event type,
 * OpenTelemetry on an SDK MeterProvider with a pull reader, prom-client on a Registry of its own,
 * and a metrics endpoint on a port of its own (as OpenTelemetry's Prometheus exporter serves one)
 * that collects both. The instance is created with `audit: true` (see server.ts); a token created
 * and revoked here fires events and writes audit rows before the first request. Imported only by
 * observed servers, so that the others do not load the SDKs.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { EVENT_TYPES, type Keyward } from '@keyward/core'
import { registerOpenTelemetry } from '@keyward/core/opentelemetry'
import { registerPrometheus } from '@keyward/core/prometheus'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { Registry } from 'prom-client'

/** A reader that collects when asked, as a pull exporter does. */
class PullReader extends MetricReader {
  protected override async onShutdown() {}
  protected override async onForceFlush() {}
}

/** The user of the token an observed server creates and revokes at its start. */
const OBSERVED_USER = 'bench-observed'

/**
 * Observes `kw` and serves its metrics at `GET /metrics` on 127.0.0.1: every scrape collects the
 * OpenTelemetry instruments (answering 500 if that fails) and answers prom-client's exposition.
 * Returns the metrics endpoint's port.
 */
export async function observe(kw: Keyward): Promise<number> {
  // Listeners that do nothing: what the request path could pay for them is their being there.
  for (const type of EVENT_TYPES) kw.events.on(type, () => {})
  const reader = new PullReader()
  registerOpenTelemetry(kw, { meterProvider: new MeterProvider({ readers: [reader] }) })
  const registry = new Registry()
  registerPrometheus(kw, registry)
  const { record } = await kw.tokens.create({ userId: OBSERVED_USER, name: 'observed', scopes: [] })
  await kw.tokens.revoke(record.id, { userId: OBSERVED_USER })
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end()
      return
    }
    const scrape = async () => {
      const { errors } = await reader.collect()
      if (errors.length > 0) throw new Error(`OpenTelemetry collection failed: ${String(errors[0])}`)
      return await registry.metrics()
    }
    scrape().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}
