import type { IncomingMessage } from 'node:http'
import type { RouteBody } from './token-route-input.js'

/**
 * Request bodies for the token routes and the leak-report endpoint, read with a size limit so that
 * a huge upload is refused (413) without being held in memory: from a Node request (Express, Koa)
 * or a web stream (Hono); as text, or as the raw bytes a signature covers.
 */

const TOO_LARGE: { readonly kind: 'too_large' } = Object.freeze({ kind: 'too_large' })

/**
 * A body as its bytes: `consumed` when a body parser of the app already read the stream into
 * something else than its bytes (`express.json()`), so that they cannot be had any more.
 */
export type RawBody =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'consumed' }

function declaredTooLarge(contentLength: string | null | undefined, maxBytes: number): boolean {
  return contentLength != null && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes
}

/** The stream's bytes, or null past `maxBytes`. */
function streamBytes(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  if (declaredTooLarge(request.headers['content-length'] as string | undefined, maxBytes)) {
    return Promise.resolve(null)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        // The rest is left to Node, which discards what the handler does not read.
        request.removeAllListeners('data')
        resolve(null)
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
    // After 'end' this changes nothing; before it, the client went away.
    request.on('close', () => reject(new Error('The request was aborted before its body was read.')))
  })
}

/**
 * A Node request's body. When a body parser of the app (`express.json()`, koa-bodyparser) has
 * already read the stream, its result `parsed` is the body; its own limit applied.
 */
export function readNodeBody(
  request: IncomingMessage,
  maxBytes: number,
  parsed: unknown,
): Promise<RouteBody> {
  if (request.readableEnded) {
    return Promise.resolve(
      parsed === undefined ? { kind: 'text', text: '' } : { kind: 'parsed', value: parsed },
    )
  }
  return streamBytes(request, maxBytes).then((bytes) =>
    bytes === null ? TOO_LARGE : { kind: 'text', text: bytes.toString('utf8') },
  )
}

/**
 * A Node request's body as its bytes. A body parser in front that kept them (`express.raw()`) is
 * fine: `parsed`, a Buffer, is the body. One that parsed them (`express.json()`) is `consumed`.
 */
export function readNodeBytes(request: IncomingMessage, maxBytes: number, parsed: unknown): Promise<RawBody> {
  if (request.readableEnded) {
    if (parsed instanceof Uint8Array) {
      const bytes = Buffer.from(parsed.buffer, parsed.byteOffset, parsed.byteLength)
      return Promise.resolve(bytes.length > maxBytes ? TOO_LARGE : { kind: 'bytes', bytes })
    }
    // Read by something that kept nothing (an empty body drained): no bytes, which no signature covers.
    if (parsed === undefined) return Promise.resolve({ kind: 'bytes', bytes: Buffer.alloc(0) })
    return Promise.resolve({ kind: 'consumed' })
  }
  return streamBytes(request, maxBytes).then((bytes) =>
    bytes === null ? TOO_LARGE : { kind: 'bytes', bytes },
  )
}

/** A web stream's bytes, read chunk by chunk up to the limit; null past it. */
async function webBytes(request: Request, maxBytes: number): Promise<Buffer | null> {
  if (declaredTooLarge(request.headers.get('content-length'), maxBytes)) return null
  if (request.body === null) return Buffer.alloc(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      return null
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** A fetch `Request`'s body (Hono), read chunk by chunk up to the limit. */
export async function readWebBody(request: Request, maxBytes: number): Promise<RouteBody> {
  const bytes = await webBytes(request, maxBytes)
  return bytes === null ? TOO_LARGE : { kind: 'text', text: bytes.toString('utf8') }
}

/** A fetch `Request`'s body as its bytes, up to the limit. */
export async function readWebBytes(request: Request, maxBytes: number): Promise<RawBody> {
  const bytes = await webBytes(request, maxBytes)
  return bytes === null ? TOO_LARGE : { kind: 'bytes', bytes }
}

/** A body cache as Hono keeps it (`c.req.bodyCache`): each read, as the promise it gave. */
export type CachedBodyReads = {
  arrayBuffer?: Promise<ArrayBuffer>
  blob?: Promise<Blob>
  text?: Promise<string>
}

/**
 * The bytes of a body a middleware read first, from the framework's cache of its reads. Only the
 * cached bytes or text are what was sent (and signed): a parsed value (an older Hono's
 * `c.req.json()`, `parseBody()`) would be serialized again into other bytes, so without them the
 * body is `consumed`, the app's misconfiguration.
 */
export async function readCachedBytes(cache: CachedBodyReads, maxBytes: number): Promise<RawBody> {
  let bytes: Buffer
  if (cache.arrayBuffer) bytes = Buffer.from(await cache.arrayBuffer)
  else if (cache.blob) bytes = Buffer.from(await (await cache.blob).arrayBuffer())
  else if (cache.text) bytes = Buffer.from(await cache.text, 'utf8')
  else return { kind: 'consumed' }
  return bytes.length > maxBytes ? { kind: 'too_large' } : { kind: 'bytes', bytes }
}
