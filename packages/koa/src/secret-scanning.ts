import {
  assertEndpointPath,
  type SecretScanningOptions as CoreSecretScanningOptions,
  createSecretScanningHandler,
  readNodeBytes,
} from '@keyward/core'
import type { Context, Middleware, Next } from 'koa'

/** `path`: the endpoint's path (`'/github/secret-scanning'`); without it, every request that reaches it. */
export type SecretScanningOptions = CoreSecretScanningOptions & { path?: string }

/**
 * The endpoint GitHub's secret scanning partner program reports leaked tokens to:
 * `app.use(secretScanning({ path: '/github/secret-scanning', keyward: kw, publicKeys }))`, before
 * any body parser (the signature covers the raw bytes). Each real token reported is revoked
 * (reason `'leaked'`); see docs/leaked-tokens.md.
 */
export function secretScanning(options: SecretScanningOptions): Middleware {
  const { path, ...core } = options ?? ({} as SecretScanningOptions)
  if (path !== undefined) assertEndpointPath(path)
  const handler = createSecretScanningHandler(core)
  return async function keywardSecretScanning(ctx: Context, next: Next) {
    if (path !== undefined && ctx.path !== path) return next()
    const parsed = (ctx.request as unknown as { body?: unknown }).body
    const { response } = await handler.handle({
      method: ctx.method,
      header: (name) => ctx.get(name),
      readBody: (maxBytes) => readNodeBytes(ctx.req, maxBytes, parsed),
    })
    ctx.status = response.status
    ctx.set(response.headers)
    ctx.body = response.body
    ctx.type = response.headers['Content-Type'] ?? 'application/json; charset=utf-8'
  }
}
