import type { Keyward } from '@keyward/core'
import { cookieSessions, credentialsOf, loginPage } from '@keyward/example-demo-login'
import { patAuth, requireScope, tokenRoutes } from '@keyward/express'
import express from 'express'

type Note = { id: number; text: string; createdAt: string }

/**
 * A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`.
 * A signed-in user (the example's own login) manages their tokens under /settings/tokens.
 */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const sessions = cookieSessions()
  const app = express()
  app.get('/health', (_req, res) => {
    res.send('ok')
  })

  // The app's own login, before patAuth: no one could sign in if /login needed a token.
  app.get('/login', (_req, res) => {
    res.type('html').send(loginPage(false))
  })
  const loginBody = express.text({ type: ['application/json', 'application/x-www-form-urlencoded'] })
  app.post('/login', loginBody, (req, res) => {
    const body = typeof req.body === 'string' ? req.body : ''
    const { user, password, form } = credentialsOf(req.get('content-type'), body)
    const cookie = sessions.signIn(user, password)
    if (cookie === null) {
      if (form) res.status(401).type('html').send(loginPage(true))
      else res.status(401).json({ error: 'wrong user or password' })
      return
    }
    res.setHeader('set-cookie', cookie)
    if (form) res.redirect(303, '/settings/tokens/')
    else res.json({ user })
  })
  app.post('/logout', (req, res) => {
    res.setHeader('set-cookie', sessions.signOut(req.headers.cookie)).status(204).end()
  })

  // Keyward's token routes (and settings page) for the signed-in user; a PAT cannot reach them.
  app.use(
    '/settings/tokens',
    tokenRoutes({
      keyward: kw,
      user: (req) => {
        const userId = sessions.userOf(req.headers.cookie)
        return userId === null ? null : { userId }
      },
    }),
  )

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
