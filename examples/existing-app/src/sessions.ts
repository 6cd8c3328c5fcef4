import { randomBytes } from 'node:crypto'

/**
 * The app's own login, as it was before Keyward: a random session id in an HttpOnly cookie, the
 * sessions in this process's memory (a real app keeps them in Redis or its database).
 */
export function cookieSessions(cookieName = 'sid') {
  const userBySession = new Map<string, string>()
  const pattern = new RegExp(`(?:^|;\\s*)${cookieName}=([^;]*)`)
  return {
    /** Starts a session; returns the Set-Cookie value. */
    start(userId: string): string {
      const id = randomBytes(32).toString('base64url')
      userBySession.set(id, userId)
      return `${cookieName}=${id}; HttpOnly; SameSite=Lax; Path=/`
    },
    /** The user of the request's session cookie, if any. */
    userOf(cookieHeader: string | undefined): string | undefined {
      const id = pattern.exec(cookieHeader ?? '')?.[1]
      return id === undefined ? undefined : userBySession.get(id)
    },
    end(cookieHeader: string | undefined): void {
      const id = pattern.exec(cookieHeader ?? '')?.[1]
      if (id !== undefined) userBySession.delete(id)
    },
    /** Ends every session of a user (a deleted user); other processes' sessions end on their next lookup. */
    endAllOf(userId: string): void {
      for (const [id, owner] of userBySession) if (owner === userId) userBySession.delete(id)
    },
  }
}
