import {
  type CachedBodyReads,
  createSecretScanningHandler,
  type RawBody,
  readCachedBytes,
  readWebBytes,
  type SecretScanningOptions,
} from '@keyward/core'
import type { Context, MiddlewareHandler } from 'hono'

export type { SecretScanningOptions } from '@keyward/core'

/** The body's bytes, from the stream or, when a middleware read it first, from Hono's body cache. */
function rawBody(c: Context, maxBytes: number): Promise<RawBody> {
  if (!c.req.raw.bodyUsed) return readWebBytes(c.req.raw, maxBytes)
  // Hono types the cache by what each read resolves to; it holds the promises.
  return readCachedBytes(c.req.bodyCache as unknown as CachedBodyReads, maxBytes)
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
