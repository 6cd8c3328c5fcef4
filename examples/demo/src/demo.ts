/**
 * Keyward in thirty lines: mint a token into a throwaway SQLite file, then authenticate it, a
 * tampered copy and a revoked one. No services needed. Run it with `npm run demo`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKeyward } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'

const dir = mkdtempSync(join(tmpdir(), 'keyward-demo-'))
const store = sqliteStore({ path: join(dir, 'keyward.db') })
await store.migrate()
const kw = createKeyward({ store, tokenPrefix: 'demo', scopes: ['notes:read', 'notes:write'] })

const { token, record } = await kw.tokens.create({
  userId: 'ada',
  name: 'laptop CLI',
  scopes: ['notes:read'],
  expiresIn: '90d',
})
console.log(`minted ${record.prefix} for ${record.userId} (shown once): ${token}\n`)

const show = async (label: string, header: string) => {
  const result = await kw.authenticate(header)
  console.log(
    label.padEnd(28),
    result.ok ? `ok → ${JSON.stringify(result.principal)}` : `${result.error.status} ${result.error.code}`,
  )
}
await show('valid token (miss)', `Bearer ${token}`)
await show('valid token (cache hit)', `Bearer ${token}`)
await show('one character changed', `Bearer ${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`)
await show('no header', '')
await show('two tokens', `Bearer ${token} ${token}`)
await kw.tokens.revoke(record.id, { userId: 'ada', reason: 'demo' })
await show('after revoke', `Bearer ${token}`)

console.log('\nstats:', JSON.stringify(kw.stats()))
await kw.close()
rmSync(dir, { recursive: true, force: true })
