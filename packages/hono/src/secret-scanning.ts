import {
  createSecretScanningHandler,
  type RawBody,
  readWebBytes,
  type SecretScanningOptions,
} from '@keyward/core'
import type { Context, MiddlewareHandler } from 'hono'

export type { SecretScanningOptions } from '@keyward/core'

/** What Hono's body cache holds at run time: each read as the promise it gave. */
type BodyCache = { arrayBuffer?: Promise<ArrayBuffer>; blob?: Promise<Blob>; text?: Promise<string> }

/**
 * The body's bytes, from the stream or, when a middleware read it first, from Hono's body cache.
 * Only the cached bytes or text are what was signed: asked for its bytes, Hono serializes again
 * whatever it cached first, and a parsed value (an older Hono's `c.req.json()`, `parseBody()`)
 * would come back as other bytes. Then the report is `consumed`, the app's misconfiguration.
 */
async function rawBody(c: Context, maxBytes: number): Promise<RawBody> {
  if (!c.req.raw.bodyUsed) return readWebBytes(c.req.raw, maxBytes)
  // Hono types the cache by what each read resolves to; it holds the promises.
  const cache = c.req.bodyCache as unknown as BodyCache
  let bytes: Buffer
  if (cache.arrayBuffer) bytes = Buffer.from(await cache.arrayBuffer)
  else if (cache.blob) bytes = Buffer.from(await (await cache.blob).arrayBuffer())
  else if (cache.text) bytes = Buffer.from(await cache.text, 'utf8')
  else return { kind: 'consumed' }
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
