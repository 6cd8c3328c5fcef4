import { createSecretScanningHandler, readNodeBytes, type SecretScanningOptions } from '@keyward/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

export type { SecretScanningOptions } from '@keyward/core'

/**
 * The endpoint GitHub's secret scanning partner program reports leaked tokens to:
 * `app.post('/github/secret-scanning', secretScanning({ keyward: kw, publicKeys }))`, before any
 * `express.json()` (the signature covers the raw bytes; `express.raw()` in front is fine). Each
 * real token reported is revoked (reason `'leaked'`); see docs/leaked-tokens.md.
 */
export function secretScanning(options: SecretScanningOptions): RequestHandler {
  const handler = createSecretScanningHandler(options)
  return (req: Request, res: Response, next: NextFunction) => {
    handler
      .handle({
        method: req.method,
        header: (name) => req.get(name),
        readBody: (maxBytes) => readNodeBytes(req, maxBytes, req.body),
      })
      .then(({ response }) => {
        res.status(response.status).set(response.headers).end(response.body)
      })
      .catch(next)
  }
}
