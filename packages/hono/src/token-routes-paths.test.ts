import { createKeyward, sha256Hasher } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { Hono } from 'hono'
import { expect, it } from 'vitest'
import { tokenRoutes } from './token-routes.js'

it('an id with an encoded slash is a JSON 404 with no-store, not a route of its own', async () => {
  const store = sqliteStore({ path: ':memory:', notify: false })
  await store.migrate()
  const kw = createKeyward({
    store,
    hasher: sha256Hasher(),
    scopes: ['repo:read'],
    logger: { warn: () => {} },
  })
  const app = new Hono()
  app.route('/s', tokenRoutes({ keyward: kw, user: () => ({ userId: 'u' }) }))
  try {
    for (const path of ['/s/tokens/a%2Fb', '/s/tokens/x%2Frotate']) {
      const answer = await app.request(path)
      expect(answer.status, path).toBe(404)
      expect(answer.headers.get('cache-control'), path).toBe('no-store')
      expect(await answer.json(), path).toMatchObject({ error: { code: 'not_found' } })
    }
  } finally {
    await kw.close()
  }
})
