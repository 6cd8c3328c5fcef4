import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { argon2Hasher, createKeyward, defineScopes, type Keyward } from '@keyward/core'
import { skipNotice } from '@keyward/core/internal/testing'
import { sqliteStore } from '@keyward/core/sqlite'
import { Hono } from 'hono'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patAuth, requireScope } from './index.js'
import { tokenRoutes } from './token-routes.js'

// Headless Chromium (Debian's package) drives the settings page served by tokenRoutes(): the app
// has a cookie login of its own (`session=<user>`) and an API route guarded by a token's scope.
const CHROMIUM = process.env.KEYWARD_CHROMIUM ?? '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) skipNotice('browser', `No Chromium at ${CHROMIUM}.`, 'KEYWARD_CHROMIUM')
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
// Expressions run in the page (this package is typed without the DOM library).
const READ_CLIPBOARD = 'navigator.clipboard.readText()'
const SCREENSHOT = join(import.meta.dirname, '../../../docs/settings-page.png')

const scopes = defineScopes({
  'repo:read': 'Read your repositories',
  'repo:write': 'Push to your repositories',
  'user:email': 'See your email address',
})

type Server = { origin: string; close(): Promise<void> }

function listen(app: Hono, hostname: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({
        origin: `http://${hostname}:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    )
  })
}

function sessionUser(cookie: string | undefined): string | null {
  const match = /(?:^|;\s*)session=(\w+)/.exec(cookie ?? '')
  return match ? (match[1] as string) : null
}

function appFor(kw: Keyward): Hono {
  const app = new Hono()
  app.route(
    '/settings',
    tokenRoutes({
      keyward: kw,
      user: (c) => {
        const userId = sessionUser(c.req.header('cookie'))
        return userId === null ? null : { userId }
      },
    }),
  )
  // The same routes for an app whose login is too old to mint tokens.
  app.route(
    '/stale',
    tokenRoutes({ keyward: kw, user: () => ({ userId: 'old' }), reauthenticate: () => false }),
  )
  app.get('/api/repos', patAuth({ keyward: kw, realm: 'e2e' }), requireScope('repo:read'), (c) =>
    c.json({ repos: ['keyward'] }),
  )
  return app
}

/** A page of another site with a plain HTML form aimed at the routes. */
function attackerFor(target: string): Hono {
  const app = new Hono()
  app.get('/', (c) =>
    c.html(
      `<form method="post" action="${target}/settings/tokens" enctype="text/plain">` +
        '<input name=\'{"name":"stolen","scopes":[],"x":"\' value=\'"}\'><button>Win</button></form>',
    ),
  )
  return app
}

describe.skipIf(!hasChromium)('the token settings page in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-e2e-'))
  let kw: Keyward
  let server: Server
  let browser: Browser

  beforeAll(async () => {
    const store = sqliteStore({ path: join(dir, 'tokens.db') })
    await store.migrate()
    kw = createKeyward({
      store,
      scopes,
      tokenPrefix: 'test',
      hasher: argon2Hasher({ memoryCost: 1024, timeCost: 1 }),
      logger: { warn: () => {} },
    })
    server = await listen(appFor(kw), '127.0.0.1')
    // Playwright gives each launch a fresh temporary profile (its own --user-data-dir).
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await kw?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** A signed-in browser context for `user`, with the clipboard granted; CSP reports collected. */
  async function signedIn(
    user: string,
    mount = '/settings',
  ): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = await browser.newContext({ baseURL: server.origin })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin })
    await context.addCookies([{ name: 'session', value: user, url: server.origin }])
    const page = await context.newPage()
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text())
    })
    await page.goto(`${mount}/`)
    await page.getByRole('checkbox', { name: 'repo:read' }).waitFor()
    return { context, page, violations }
  }

  async function api(token: string): Promise<number> {
    const response = await fetch(`${server.origin}/api/repos`, {
      headers: { authorization: `Bearer ${token}` },
    })
    return response.status
  }

  it('creates a token, copies it, uses it, never shows it again, and revokes it', async () => {
    const { context, page, violations } = await signedIn('ada')
    await page.getByLabel('Name').fill('CI deploys')
    await page.getByLabel('Expiration').selectOption('30d')
    await page.getByRole('checkbox', { name: 'repo:read' }).check()
    await page.getByRole('button', { name: 'Generate token', exact: true }).click()
    const shown = page.locator('#new-token-value')
    await expect.poll(() => shown.textContent()).toMatch(/^test_/)
    const token = (await shown.textContent()) as string

    await page.getByRole('button', { name: 'Copy', exact: true }).click()
    await expect.poll(() => page.locator('#message').textContent()).toBe('Copied to the clipboard.')
    expect(await page.evaluate(READ_CLIPBOARD)).toBe(token)
    expect(await api(token)).toBe(200)

    await page.getByRole('button', { name: 'Done, hide it' }).click()
    expect(await shown.textContent()).toBe('')
    expect(await page.content()).not.toContain(token)
    await page.reload()
    await page.getByRole('row', { name: /CI deploys/ }).waitFor()
    expect(await page.content()).not.toContain(token)
    expect(page.url()).not.toContain(token)
    const storage = await page.evaluate('localStorage.length + sessionStorage.length')
    expect(storage).toBe(0)
    expect(await page.getByRole('row', { name: /CI deploys/ }).textContent()).toContain('repo:read')

    await page.getByRole('button', { name: 'Revoke token CI deploys' }).click()
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click()
    await expect.poll(() => page.locator('#message').textContent()).toBe('Token "CI deploys" revoked.')
    expect(await api(token)).toBe(401)
    await page.getByLabel('Show').selectOption('revoked')
    await expect.poll(() => page.getByRole('row', { name: /CI deploys/ }).textContent()).toContain('revoked')
    expect(violations).toEqual([])
    await context.close()
  })

  it('shows a route error as a sentence: reauthentication_required', async () => {
    const { context, page } = await signedIn('old', '/stale')
    await page.getByLabel('Name').fill('Too late')
    await page.getByRole('button', { name: 'Generate token', exact: true }).click()
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('For your security, sign in again before you create or regenerate a token.')
    expect(await page.locator('#new-token').isHidden()).toBe(true)
    await context.close()
  })

  it('refuses a form posted from another site, and creates nothing', async () => {
    const attacker = await listen(attackerFor(server.origin), 'localhost')
    const context = await browser.newContext()
    await context.addCookies([{ name: 'session', value: 'grace', url: server.origin }])
    const page = await context.newPage()
    await page.goto(attacker.origin)
    await Promise.all([page.waitForURL(`${server.origin}/settings/tokens`), page.getByRole('button').click()])
    expect(JSON.parse((await page.textContent('body')) as string)).toMatchObject({
      error: { code: 'cross_site_request' },
    })
    expect((await kw.tokens.list('grace')).length).toBe(0)
    await context.close()
    await attacker.close()
  })

  it('runs the whole flow (create, copy, use, dismiss, revoke) from the keyboard alone', async () => {
    const { context, page } = await signedIn('lin')
    const focused = () => page.evaluate("document.activeElement ? document.activeElement.id : ''")
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('token-name')
    await page.keyboard.type('Keyboard token')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('token-expiry')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('scope-0')
    await page.keyboard.press('Space')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('create')
    await page.keyboard.press('Enter')
    await expect.poll(focused).toBe('copy')
    await page.keyboard.press('Enter')
    await expect.poll(() => page.locator('#message').textContent()).toBe('Copied to the clipboard.')
    const token = String(await page.evaluate(READ_CLIPBOARD))
    expect(await api(token)).toBe(200)
    await page.keyboard.press('Tab')
    expect(await focused()).toBe('dismiss')
    await page.keyboard.press('Enter')
    expect(await focused()).toBe('token-name')
    expect(await page.locator('#new-token-value').textContent()).toBe('')

    // Revoke by keyboard too: Tab forward to the row's button, Enter, then Enter on the dialog's default.
    const revokeLabel = 'Revoke token Keyboard token'
    const focusedLabel = () =>
      page.evaluate("document.activeElement ? document.activeElement.getAttribute('aria-label') : null")
    for (let presses = 0; presses < 60 && (await focusedLabel()) !== revokeLabel; presses++) {
      await page.keyboard.press('Tab')
    }
    expect(await focusedLabel()).toBe(revokeLabel)
    await page.keyboard.press('Enter')
    expect(await focused()).toBe('confirm-yes')
    await page.keyboard.press('Enter')
    await expect.poll(() => api(token)).toBe(401)
    await context.close()
  })

  it('passes an axe-core audit with a token shown and listed', async () => {
    const { context, page, violations } = await signedIn('mae')
    for (const name of ['Deploy bot', 'Laptop CLI']) {
      await page.getByLabel('Name').fill(name)
      await page.getByRole('checkbox', { name: 'repo:read' }).check()
      await page.getByRole('button', { name: 'Generate token', exact: true }).click()
      await page.getByRole('row', { name: new RegExp(name) }).waitFor()
    }
    if (process.env.KEYWARD_SCREENSHOT === '1') await page.screenshot({ path: SCREENSHOT, fullPage: true })
    // Evaluated through the DevTools protocol, so the page's CSP does not stop the audit script.
    await page.evaluate(AXE_SOURCE)
    const audit = await page.evaluate('axe.run().then((result) => result.violations)')
    expect(audit).toEqual([])
    expect(violations).toEqual([])
    await context.close()
  })
})
