import type { Keyward } from '@keyward/core'
import { type KeywardEnv, patAuth, requireScope } from '@keyward/hono'
import { Hono } from 'hono'

type Note = { id: number; text: string; createdAt: string }

/** A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`. */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const app = new Hono<KeywardEnv>()
  app.get('/health', (c) => c.text('ok'))
  app.use('*', patAuth({ keyward: kw, realm: 'notes' }))
  app.get('/notes', requireScope('notes:read'), (c) => c.json(notes.get(c.get('principal').userId) ?? []))
  app.post('/notes', requireScope('notes:write'), async (c) => {
    const body = await c.req.json<{ text?: unknown }>().catch(() => ({ text: undefined }))
    if (typeof body.text !== 'string' || body.text.length === 0)
      return c.json({ error: 'text is required' }, 400)
    const mine = notes.get(c.get('principal').userId) ?? []
    const note = { id: mine.length + 1, text: body.text, createdAt: new Date().toISOString() }
    notes.set(c.get('principal').userId, [...mine, note])
    return c.json(note, 201)
  })
  return app
}
