import {
  type TokenRoutesOptions as CoreTokenRoutesOptions,
  createTokenRoutes,
  type Keyward,
  readNodeBody,
  type TokenRouteResponse,
} from '@keyward/core'
import express, { type NextFunction, type Request, type Response, type Router } from 'express'

/** The hooks (`user`, `reauthenticate`, `grantableScopes`) are called with Express's `req`. */
export type TokenRoutesOptions = CoreTokenRoutesOptions<Request>

function send(res: Response, answer: TokenRouteResponse): void {
  res.status(answer.status).set(answer.headers).end(answer.body)
}

/**
 * The token-management routes as an Express router to mount behind the app's login:
 * `app.use('/settings', tokenRoutes({ user: (req) => … }))`, or behind `patAuth({ appSession })`.
 * Paths: `GET|POST /tokens`, `GET|PATCH|DELETE /tokens/:id`, `POST /tokens/:id/rotate`, `GET /scopes`,
 * `GET /audit` (the caller's audit entries),
 * and the settings page at `GET /` with `GET /assets/:name` (unless `page: false`).
 * A JSON body an `express.json()` in front already parsed is taken as it is.
 */
export function tokenRoutes(keywardOrOptions?: Keyward | TokenRoutesOptions): Router {
  const routes = createTokenRoutes<Request>(keywardOrOptions)
  const router = express.Router()
  router.use((req: Request, res: Response, next: NextFunction) => {
    const query = req.url.indexOf('?')
    routes
      .handle({
        method: req.method,
        path: req.path,
        fullPath: req.baseUrl + req.path,
        query: query === -1 ? '' : req.url.slice(query),
        header: (name) => req.get(name),
        host: req.headers.host,
        principal: req.principal,
        // As patAuth() reads it: Express's `req.ip` honours the app's `trust proxy` setting.
        client: req.ip ?? req.socket?.remoteAddress,
        request: req,
        readBody: (maxBytes) => readNodeBody(req, maxBytes, req.body),
      })
      .then((answer) => (answer === null ? next() : send(res, answer)))
      .catch(next)
  })
  return router
}
