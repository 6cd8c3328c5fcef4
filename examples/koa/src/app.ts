import type { Keyward } from '@keyward/core'
import { patAuth, requireScope } from '@keyward/koa'
import Router from '@koa/router'
import Koa, { type Context } from 'koa'

type Note = { id: number; text: string; createdAt: string }

async function readJson(ctx: Context): Promise<{ text?: unknown }> {
  let raw = ''
  for await (const chunk of ctx.req) {
    raw += chunk
    if (raw.length > 10_000) ctx.throw(413)
  }
  try {
    return JSON.parse(raw) as { text?: unknown }
  } catch {
    return {}
  }
}

/** A notes API: every route needs a token; reading needs `notes:read`, writing `notes:write`. */
export function createApp(kw: Keyward) {
  const notes = new Map<string, Note[]>()
  const router = new Router()
  router.get('/health', (ctx) => {
    ctx.body = 'ok'
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
  return new Koa().use(router.routes()).use(router.allowedMethods())
}
