import type { IncomingMessage } from 'node:http'
import type { RouteBody } from './token-route-input.js'

/**
 * Request bodies for the token routes, read with a size limit so that a huge upload is refused
 * (413) without being held in memory: from a Node request (Express, Koa) or a web stream (Hono).
 */

const TOO_LARGE: RouteBody = Object.freeze({ kind: 'too_large' })

function declaredTooLarge(contentLength: string | null | undefined, maxBytes: number): boolean {
  return contentLength != null && /^\d+$/.test(contentLength) && Number(contentLength) > maxBytes
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
  if (declaredTooLarge(request.headers['content-length'] as string | undefined, maxBytes)) {
    return Promise.resolve(TOO_LARGE)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        // The rest is left to Node, which discards what the handler does not read.
        request.removeAllListeners('data')
        resolve(TOO_LARGE)
        return
      }
      chunks.push(chunk)
    })
    request.on('end', () => resolve({ kind: 'text', text: Buffer.concat(chunks).toString('utf8') }))
    request.on('error', reject)
    // After 'end' this changes nothing; before it, the client went away.
    request.on('close', () => reject(new Error('The request was aborted before its body was read.')))
  })
}

/** A fetch `Request`'s body (Hono), read chunk by chunk up to the limit. */
export async function readWebBody(request: Request, maxBytes: number): Promise<RouteBody> {
  if (declaredTooLarge(request.headers.get('content-length'), maxBytes)) return TOO_LARGE
  if (request.body === null) return { kind: 'text', text: '' }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      return TOO_LARGE
    }
    chunks.push(value)
  }
  return { kind: 'text', text: Buffer.concat(chunks).toString('utf8') }
}
