import type { AddressInfo } from 'node:net'
import type { Keyward } from '@keyward/core'
import { conformance, fetchVia } from '@keyward/test-kit'
import express from 'express'
import { patAuth, requireAnyScope, requireScope } from './index.js'

function app(kw: Keyward) {
  const app = express()
  app.get('/bare-scope', requireScope('repo:read'), (_req, res) => {
    res.send('no')
  })
  app.get('/optional', patAuth({ keyward: kw, optional: true, realm: 'test' }), (req, res) => {
    res.json({ principal: req.principal ?? null })
  })
  app.use(patAuth({ keyward: kw, realm: 'test' }))
  app.get('/me', (req, res) => {
    res.json(req.principal)
  })
  app.get('/repos', requireScope('repo:read'), (req, res) => {
    res.json(req.principal)
  })
  app.get('/write', requireScope('repo:read', 'repo:write'), (_req, res) => {
    res.send('ok')
  })
  app.get('/any', requireAnyScope('admin', 'repo:write'), (_req, res) => {
    res.send('ok')
  })
  return app
}

await conformance({
  name: 'express',
  app(kw) {
    const expressApp = app(kw)
    const listen = () =>
      new Promise<{ port: number; close(): Promise<void> }>((resolve) => {
        const server = expressApp.listen(0, '127.0.0.1', () =>
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        )
      })
    return { listen, request: (path, headers) => fetchVia(listen, path, headers) }
  },
})
