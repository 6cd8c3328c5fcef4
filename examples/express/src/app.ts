import type { Keyward } from '@keyward/core'
import { patAuth, requireScope } from '@keyward/express'
import express from 'express'

type Note = { id: number; text: string; createdAt: string }

/** A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`. */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const app = express()
  app.get('/health', (_req, res) => {
    res.send('ok')
  })
  app.use(patAuth({ keyward: kw, realm: 'notes' }))
  app.get('/notes', requireScope('notes:read'), (req, res) => {
    res.json(notes.get(req.principal?.userId ?? '') ?? [])
  })
  app.post('/notes', requireScope('notes:write'), express.json(), (req, res) => {
    const text: unknown = req.body?.text
    if (typeof text !== 'string' || text.length === 0) {
      res.status(400).json({ error: 'text is required' })
      return
    }
    const userId = req.principal?.userId ?? ''
    const mine = notes.get(userId) ?? []
    const note = { id: mine.length + 1, text, createdAt: new Date().toISOString() }
    notes.set(userId, [...mine, note])
    res.status(201).json(note)
  })
  return app
}
