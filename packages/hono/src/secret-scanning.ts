import {
  createSecretScanningHandler,
  type RawBody,
  readWebBytes,
  type SecretScanningOptions,
} from '@keyward/core'
import type { Context, MiddlewareHandler } from 'hono'

export type { SecretScanningOptions } from '@keyward/core'

/** The body's bytes, from the stream or, when a middleware read it first, from Hono's body cache. */
async function rawBody(c: Context, maxBytes: number): Promise<RawBody> {
  if (!c.req.raw.bodyUsed) return readWebBytes(c.req.raw, maxBytes)
  const bytes = Buffer.from(await c.req.arrayBuffer())
  return bytes.length > maxBytes ? { kind: 'too_large' } : { kind: 'bytes', bytes }
}

/**
 * The endpoint GitHub's secret scanning partner program reports leaked tokens to:
 * `app.post('/github/secret-scanning', secretScanning({ keyward: kw, publicKeys }))`. Each real
 * token reported is revoked (reason `'leaked'`); see docs/leaked-tokens.md.
 */
export function secretScanning(options: SecretScanningOptions): MiddlewareHandler {
  const handler = createSecretScanningHandler(options)
  return async (c) => {
    const { response } = await handler.handle({
      method: c.req.method,
      header: (name) => c.req.header(name),
      readBody: (maxBytes) => rawBody(c, maxBytes),
    })
    return new Response(response.body, { status: response.status, headers: response.headers })
  }
}
