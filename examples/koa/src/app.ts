import type { Keyward } from '@keyward/core'
import { cookieSessions, credentialsOf, loginPage } from '@keyward/example-demo-login'
import { patAuth, requireScope, tokenRoutes } from '@keyward/koa'
import Router from '@koa/router'
import Koa, { type Context } from 'koa'

type Note = { id: number; text: string; createdAt: string }

async function readText(ctx: Context): Promise<string> {
  let raw = ''
  for await (const chunk of ctx.req) {
    raw += chunk
    if (raw.length > 10_000) ctx.throw(413)
  }
  return raw
}

async function readJson(ctx: Context): Promise<{ text?: unknown }> {
  const raw = await readText(ctx)
  try {
    return JSON.parse(raw) as { text?: unknown }
  } catch {
    return {}
  }
}

/**
 * A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`.
 * A signed-in user (the example's own login) manages their tokens under /settings/tokens.
 */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const sessions = cookieSessions()
  const router = new Router()
  router.get('/health', (ctx) => {
    ctx.body = 'ok'
  })

  // The app's own login, outside patAuth: no one could sign in if /login needed a token.
  router.get('/login', (ctx) => {
    ctx.type = 'html'
    ctx.body = loginPage(false)
  })
  router.post('/login', async (ctx) => {
    const { user, password, form } = credentialsOf(ctx.get('content-type'), await readText(ctx))
    const cookie = sessions.signIn(user, password)
    if (cookie === null) {
      ctx.status = 401
      if (form) ctx.type = 'html'
      ctx.body = form ? loginPage(true) : { error: 'wrong user or password' }
      return
    }
    ctx.set('set-cookie', cookie)
    if (form) {
      ctx.status = 303
      ctx.redirect('/settings/tokens/')
    } else ctx.body = { user }
  })
  router.post('/logout', (ctx) => {
    ctx.set('set-cookie', sessions.signOut(ctx.get('cookie')))
    ctx.status = 204
  })

  const auth = patAuth({ keyward: kw, realm: 'notes' })
  router.get('/notes', auth, requireScope('notes:read'), (ctx) => {
    ctx.body = notes.get(ctx.state.principal?.userId ?? '') ?? []
  })
  router.post('/notes', auth, requireScope('notes:write'), async (ctx) => {
    const { text } = await readJson(ctx)
    if (typeof text !== 'string' || text.length === 0) {
      ctx.status = 400
      ctx.body = { error: 'text is required' }
      return
    }
    const userId = ctx.state.principal?.userId ?? ''
    const mine = notes.get(userId) ?? []
    const note = { id: mine.length + 1, text, createdAt: new Date().toISOString() }
    notes.set(userId, [...mine, note])
    ctx.status = 201
    ctx.body = note
  })
  // Keyward's token routes (and settings page) for the signed-in user; a PAT cannot reach them.
  const settings = tokenRoutes({
    keyward: kw,
    prefix: '/settings/tokens',
    user: (ctx) => {
      const userId = sessions.userOf(ctx.get('cookie'))
      return userId === null ? null : { userId }
    },
  })
  return new Koa().use(settings).use(router.routes()).use(router.allowedMethods())
}
