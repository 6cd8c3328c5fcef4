import { authorize, isKeywardError, type Keyward } from '@keyward/core'
import { patAuth, requireScope, tokenRoutes } from '@keyward/express'
import { eq } from 'drizzle-orm'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import express, { type NextFunction, type Request, type Response } from 'express'
import type * as schema from './db/schema.js'
import { notes, type User, users } from './db/schema.js'
import { cookieSessions } from './sessions.js'

declare global {
  namespace Express {
    interface Request {
      /** Set by the app's own login from its session cookie. */
      user?: User | undefined
    }
  }
}

/** What a PAT may carry: `createKeyward({ scopes })` refuses to mint anything else. */
export const TOKEN_SCOPES = ['notes:read', 'notes:write']

/** What the app grants its logged-in users: the token scopes, and `users:admin` to admins only. */
function grantsOf(user: User): string[] {
  return user.admin ? [...TOKEN_SCOPES, 'users:admin'] : TOKEN_SCOPES
}

/** The user behind the request's principal (routes behind `patAuth` always have one). */
function userIdOf(req: Request): string {
  if (!req.principal) throw new Error('route outside patAuth')
  return req.principal.userId
}

/** Keyward's refusals of what a client sent (a bad scope, name or lifetime, a forged cursor). */
const CLIENT_ERRORS = new Set(['invalid_argument', 'unknown_scope', 'invalid_scope', 'too_many_tokens'])

export function createApp({ db, kw }: { db: NodePgDatabase<typeof schema>; kw: Keyward }) {
  const sessions = cookieSessions()
  const app = express()
  app.use(express.json())

  // The app's login, untouched by Keyward: the session cookie names a user, read afresh from the
  // database so that a deleted user's session ends on every process.
  app.use(async (req, _res, next) => {
    const userId = sessions.userOf(req.headers.cookie)
    if (userId !== undefined) [req.user] = await db.select().from(users).where(eq(users.id, userId))
    next()
  })

  // Public routes stay outside Keyward: no one could log in if /login needed a credential.
  app.get('/', (_req, res) => {
    res.type('text').send('Welcome. POST /login, then use /api.')
  })
  app.get('/health', (_req, res) => {
    res.json({ ok: true, invalidations: kw.stats().invalidations.channel })
  })
  app.post('/login', async (req, res) => {
    const [user] = await db
      .select()
      .from(users)
      .where(eq(users.id, String(req.body?.user ?? '')))
    if (!user) {
      res.status(401).json({ error: 'unknown user' })
      return
    }
    res.setHeader('set-cookie', sessions.start(user.id)).json({ user: user.id })
  })
  app.post('/logout', (req, res) => {
    sessions.end(req.headers.cookie)
    res.status(204).end()
  })

  // Keyward's token routes (and settings page) for the logged-in user, the app's login as is.
  app.use(
    '/settings/tokens',
    tokenRoutes({ keyward: kw, user: (req) => (req.user ? { userId: req.user.id } : null) }),
  )

  // Everything under /api takes either a personal access token or the app's own logged-in user.
  app.use(
    '/api',
    patAuth({
      keyward: kw,
      realm: 'existing-app',
      appSession: (req) => (req.user ? { userId: req.user.id, scopes: grantsOf(req.user) } : null),
    }),
  )

  app.get('/api/me', (req, res) => {
    res.json(req.principal)
  })
  app.get('/api/notes', requireScope('notes:read'), async (req, res) => {
    res.json(
      await db
        .select()
        .from(notes)
        .where(eq(notes.userId, userIdOf(req))),
    )
  })
  app.post('/api/notes', requireScope('notes:write'), async (req, res) => {
    const text: unknown = req.body?.text
    if (typeof text !== 'string' || text.length === 0) {
      res.status(400).json({ error: 'text is required' })
      return
    }
    const [note] = await db
      .insert(notes)
      .values({ userId: userIdOf(req), text })
      .returning()
    res.status(201).json(note)
  })

  // Token management, for the logged-in browser only: a PAT, leaked or not, cannot mint more.
  const browserOnly = (req: Request, res: Response, next: NextFunction) => {
    if (req.principal?.kind === 'session') next()
    else res.status(403).json({ error: 'manage tokens from the app, not with a token' })
  }
  app.get('/api/tokens', browserOnly, async (req, res) => {
    const { status, cursor } = req.query
    const page = await kw.tokens.page(userIdOf(req), {
      ...(typeof status === 'string' ? { status: status as 'active' } : {}),
      ...(typeof cursor === 'string' ? { cursor } : {}),
    })
    res.json(page)
  })
  app.post('/api/tokens', browserOnly, async (req, res) => {
    const { name, scopes, expiresIn } = req.body ?? {}
    // No more than the user holds: a token never widens what its owner may do.
    const missing = Array.isArray(scopes) ? authorize(req.principal, scopes, 'all') : null
    if (missing) {
      res.status(403).json({ error: missing.description })
      return
    }
    const { token, record } = await kw.tokens.create({ userId: userIdOf(req), name, scopes, expiresIn })
    // Shown once: the store keeps only a hash.
    res.status(201).setHeader('cache-control', 'no-store').json({ token, record })
  })
  app.delete('/api/tokens/:id', browserOnly, async (req, res) => {
    const record = await kw.tokens.revoke(String(req.params.id), {
      userId: userIdOf(req),
      reason: 'revoked by its owner',
    })
    if (record) res.json(record)
    else res.status(404).json({ error: 'no such token' })
  })

  // Deleting a user: the app's rows and sessions, and every credential Keyward issued them.
  app.delete('/api/admin/users/:id', requireScope('users:admin'), async (req, res) => {
    const id = String(req.params.id)
    const deleted = await db.delete(users).where(eq(users.id, id)).returning()
    await db.delete(notes).where(eq(notes.userId, id))
    sessions.endAllOf(id)
    const { tokensRevoked } = await kw.users.revokeAll(id, { reason: 'user deleted' })
    res.json({ deleted: deleted.length === 1, tokensRevoked })
  })

  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (isKeywardError(error) && CLIENT_ERRORS.has(error.code)) res.status(400).json({ error: error.message })
    else next(error)
  })
  return app
}
