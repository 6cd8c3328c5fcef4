// Type-checked against @types/express 4 (`npm run typecheck`): an Express 4 app using the adapter.
import { createKeyward } from '@keyward/core'
import express from 'express'
import { patAuth, requireAnyScope, requireScope } from '../src/index.js'

const keyward = createKeyward({ tokenPrefix: 'myapp' })
const app = express()
app.use(patAuth({ keyward, realm: 'notes' }))
app.get('/notes', requireScope('notes:read'), (req, res) => {
  const userId: string | undefined = req.principal?.userId
  res.json({ userId })
})
app.post('/notes', requireAnyScope('notes:write', 'notes:*'), (_req, res) => {
  res.status(201).end()
})
