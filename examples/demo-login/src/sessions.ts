import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The examples' OWN login, not Keyward's: two demo users, a random session id in an HttpOnly
 * cookie, the sessions in this process's memory. A real app has its own users and session store;
 * Keyward only asks it who is signed in (the `user` hook of tokenRoutes()). Framework-agnostic:
 * each example reads the Cookie header and writes Set-Cookie in its own framework's way.
 */

/** The demo users and their passwords (a real app stores password hashes, never passwords). */
export const DEMO_USERS: Readonly<Record<string, string>> = { demo: 'demo', ada: 'ada' }

const COOKIE = 'sid'
const COOKIE_PATTERN = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]*)`)
// Secure is left out so that the demo works over plain http://127.0.0.1; add it behind HTTPS.
const COOKIE_ATTRIBUTES = 'HttpOnly; SameSite=Lax; Path=/'

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** The user and password of a login form or JSON body; empty strings when missing. */
export function credentialsOf(
  contentType: string | undefined,
  body: string,
): { user: string; password: string; form: boolean } {
  const form = (contentType ?? '').startsWith('application/x-www-form-urlencoded')
  if (form) {
    const fields = new URLSearchParams(body)
    return { user: fields.get('user') ?? '', password: fields.get('password') ?? '', form }
  }
  let value: unknown = null
  try {
    value = JSON.parse(body)
  } catch {}
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  const text = (field: unknown) => (typeof field === 'string' ? field : '')
  return { user: text(fields.user), password: text(fields.password), form }
}

/** The sign-in page: a plain form, no script, for the browser way to the token settings page. */
export function loginPage(failed: boolean): string {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Sign in: notes example</title>
<h1>Sign in</h1>
<p>The example's own login, not Keyward's. Demo users: <code>demo</code> / <code>demo</code> and <code>ada</code> / <code>ada</code>.</p>
${failed ? '<p role="alert">Wrong user or password.</p>\n' : ''}<form method="post" action="/login">
<p><label>User <input name="user" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>
</html>
`
}

export function cookieSessions() {
  const userBySession = new Map<string, string>()
  const sessionOf = (cookieHeader: string | null | undefined) => COOKIE_PATTERN.exec(cookieHeader ?? '')?.[1]
  return {
    /** Checks the password; the Set-Cookie value of a new session, or null. */
    signIn(user: string, password: string): string | null {
      const expected = Object.hasOwn(DEMO_USERS, user) ? DEMO_USERS[user] : undefined
      // Compared as digests, in constant time, so that the answer time tells nothing of the password.
      const matches = timingSafeEqual(digest(password), digest(expected ?? randomBytes(16).toString('hex')))
      if (expected === undefined || !matches) return null
      const id = randomBytes(32).toString('base64url')
      userBySession.set(id, user)
      return `${COOKIE}=${id}; ${COOKIE_ATTRIBUTES}`
    },
    /** The signed-in user of a request's Cookie header, or null. */
    userOf(cookieHeader: string | null | undefined): string | null {
      const id = sessionOf(cookieHeader)
      return (id === undefined ? undefined : userBySession.get(id)) ?? null
    },
    /** Ends the session; the Set-Cookie value that clears the cookie. */
    signOut(cookieHeader: string | null | undefined): string {
      const id = sessionOf(cookieHeader)
      if (id !== undefined) userBySession.delete(id)
      return `${COOKIE}=; Max-Age=0; ${COOKIE_ATTRIBUTES}`
    },
  }
}
