/**
 * The notes API on Koa. `npm start` serves it on PORT (default 3000) with the store from
 * KEYWARD_DATABASE_URL (default: SQLite `keyward.db`); `--demo` also mints a read-only token
 * and prints the token settings page's address with how to sign in (the example's own login).
 */
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createKeyward } from '@keyward/core'
import { createApp } from './app.js'
import { scopes } from './scopes.js'

const demo = process.argv.includes('--demo')
if (demo) process.env.KEYWARD_DATABASE_URL ??= fileURLToPath(new URL('../demo.db', import.meta.url))

const kw = createKeyward({ tokenPrefix: 'notes', scopes })
const server = createApp(kw).listen(Number(process.env.PORT ?? 3000), '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  console.log(`notes API listening on ${base}`)
  if (!demo) return
  const { token } = await kw.tokens.create({
    userId: 'demo',
    name: 'demo (read only)',
    scopes: ['notes:read'],
    expiresIn: '1d',
  })
  console.log(`\ndemo token for user "demo", scope notes:read (shown once):\n  ${token}\n`)
  console.log(`200  curl -i -H 'Authorization: Bearer ${token}' ${base}/notes`)
  console.log(`401  curl -i ${base}/notes`)
  console.log(
    `403  curl -i -X POST -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' -d '{"text":"hi"}' ${base}/notes`,
  )
  console.log(`\ntoken settings page: ${base}/settings/tokens/`)
  console.log(`  sign in at ${base}/login as demo (password demo), the example's own login; or with curl:`)
  console.log(`  curl -i -c cookies.txt -d user=demo -d password=demo ${base}/login`)
  console.log(`  curl -i -b cookies.txt ${base}/settings/tokens/tokens`)
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    server.close()
    await kw.close()
    process.exit(0)
  })
}
