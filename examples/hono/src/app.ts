import type { Keyward } from '@keyward/core'
import { cookieSessions, credentialsOf, loginPage } from '@keyward/example-demo-login'
import { type KeywardEnv, patAuth, requireScope, tokenRoutes } from '@keyward/hono'
import { Hono } from 'hono'

type Note = { id: number; text: string; createdAt: string }

/**
 * A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`.
 * A signed-in user (the example's own login) manages their tokens under /settings/tokens.
 */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const sessions = cookieSessions()
  // Not strict: /settings/tokens/ (the address the demo prints) reaches the page mounted at /settings/tokens.
  const app = new Hono<KeywardEnv>({ strict: false })
  app.get('/health', (c) => c.text('ok'))

  // The app's own login, before patAuth: no one could sign in if /login needed a token.
  app.get('/login', (c) => c.html(loginPage(false)))
  app.post('/login', async (c) => {
    const { user, password, form } = credentialsOf(c.req.header('content-type'), await c.req.text())
    const cookie = sessions.signIn(user, password)
    if (cookie === null)
      return form ? c.html(loginPage(true), 401) : c.json({ error: 'wrong user or password' }, 401)
    c.header('set-cookie', cookie)
    return form ? c.redirect('/settings/tokens/', 303) : c.json({ user })
  })
  app.post('/logout', (c) => {
    c.header('set-cookie', sessions.signOut(c.req.header('cookie')))
    return c.body(null, 204)
  })

  // Keyward's token routes (and settings page) for the signed-in user; a PAT cannot reach them.
  app.route(
    '/settings/tokens',
    tokenRoutes({
      keyward: kw,
      user: (c) => {
        const userId = sessions.userOf(c.req.header('cookie'))
        return userId === null ? null : { userId }
      },
    }),
  )

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
