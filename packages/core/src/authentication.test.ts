import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sha256Hasher } from './hashing.js'
import { createKeyward } from './keyward.js'
import { sqliteStore } from './sqlite.js'
import { manualClock } from './testing/backends.js'

const SECRET = 'a session secret of at least 32 bytes, for tests'

describe('authentication: one digest per miss, credentials without a header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-authentication-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function setup() {
    const store = sqliteStore({ path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })
    await store.migrate()
    const kw = createKeyward({
      store,
      clock: manualClock(),
      hasher: sha256Hasher(),
      logger: { warn: () => {} },
      sessions: { secret: SECRET },
    })
    const { token } = await kw.tokens.create({ userId: 'u1', name: 'n' })
    return { kw, token }
  }

  it("a miss on the canonical header caches under that header's digest: the next request is a synchronous hit", async () => {
    const { kw, token } = await setup()
    expect((await kw.check(`Bearer ${token}`)).ok).toBe(true)
    const again = kw.check(`Bearer ${token}`)
    expect(again).not.toBeInstanceOf(Promise)
    expect(kw.stats().cache).toMatchObject({ hits: 1, misses: 1 })
    await kw.close()
  })

  it('a header of the hot length that is not canonical (lowercase scheme) is not cached under its own digest', async () => {
    const { kw, token } = await setup()
    expect((await kw.check(`bearer ${token}`)).ok).toBe(true)
    // The entry is keyed by the canonical header, so the canonical form hits without I/O.
    const canonical = kw.check(`Bearer ${token}`)
    expect(canonical).not.toBeInstanceOf(Promise)
    expect(canonical).toMatchObject({ ok: true })
    expect(kw.stats().storeReads).toBe(1)
    await kw.close()
  })

  it('checkCredential: a PAT or a session token without a header, with the same answers as check', async () => {
    const { kw, token } = await setup()
    expect(await kw.checkCredential(token)).toMatchObject({ ok: true, principal: { kind: 'pat' } })
    const hit = kw.checkCredential(token)
    expect(hit).not.toBeInstanceOf(Promise)
    const session = await kw.sessions.issue({ userId: 'u2' })
    expect(await kw.checkCredential(session.token, 'session')).toMatchObject({
      ok: true,
      principal: { kind: 'session', userId: 'u2' },
    })
    expect(await kw.checkCredential(session.token, 'pat')).toMatchObject({ ok: false })
    expect(await kw.checkCredential('')).toMatchObject({ ok: false, error: { code: 'missing_token' } })
    expect(kw.stats().rejections).toMatchObject({ wrong_kind: 1, missing_token: 1 })
    await kw.close()
  })
})
