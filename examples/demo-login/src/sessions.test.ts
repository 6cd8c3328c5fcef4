import { describe, expect, it } from 'vitest'
import { cookieSessions, credentialsOf, loginPage } from './sessions.js'

function sessionCookieOf(setCookie: string): string {
  return setCookie.split(';')[0] ?? ''
}

describe('cookieSessions', () => {
  it('signs a demo user in with their password and knows them by the cookie', () => {
    const sessions = cookieSessions()
    const setCookie = sessions.signIn('ada', 'ada')
    expect(setCookie).toMatch(/^sid=[\w-]{43}; HttpOnly; SameSite=Lax; Path=\/$/)
    expect(sessions.userOf(`theme=dark; ${sessionCookieOf(setCookie ?? '')}`)).toBe('ada')
  })

  it('refuses a wrong password, an unknown user and a name from the object prototype', () => {
    const sessions = cookieSessions()
    expect(sessions.signIn('ada', 'demo')).toBeNull()
    expect(sessions.signIn('grace', 'grace')).toBeNull()
    expect(sessions.signIn('constructor', '')).toBeNull()
  })

  it('knows no one without a cookie or with a session id it never issued', () => {
    const sessions = cookieSessions()
    expect(sessions.userOf(undefined)).toBeNull()
    expect(sessions.userOf(null)).toBeNull()
    expect(sessions.userOf('sid=never-issued')).toBeNull()
  })

  it('ends the session on sign-out and clears the cookie', () => {
    const sessions = cookieSessions()
    const cookie = sessionCookieOf(sessions.signIn('demo', 'demo') ?? '')
    expect(sessions.signOut(cookie)).toBe('sid=; Max-Age=0; HttpOnly; SameSite=Lax; Path=/')
    expect(sessions.userOf(cookie)).toBeNull()
  })

  it('keeps the sessions of one instance from another', () => {
    const cookie = sessionCookieOf(cookieSessions().signIn('demo', 'demo') ?? '')
    expect(cookieSessions().userOf(cookie)).toBeNull()
  })
})

describe('credentialsOf', () => {
  it('reads a login form', () => {
    expect(
      credentialsOf('application/x-www-form-urlencoded; charset=utf-8', 'user=ada&password=a%26b'),
    ).toEqual({
      user: 'ada',
      password: 'a&b',
      form: true,
    })
  })

  it('reads a JSON body, with empty strings for missing or non-string fields', () => {
    expect(credentialsOf('application/json', '{"user":"ada","password":"ada"}')).toEqual({
      user: 'ada',
      password: 'ada',
      form: false,
    })
    expect(credentialsOf(undefined, '{"user":7}')).toEqual({ user: '', password: '', form: false })
    expect(credentialsOf('application/json', 'not json')).toEqual({ user: '', password: '', form: false })
    expect(credentialsOf('application/json', 'null')).toEqual({ user: '', password: '', form: false })
  })
})

describe('loginPage', () => {
  it('shows the alert only after a failed sign-in', () => {
    expect(loginPage(false)).not.toContain('role="alert"')
    expect(loginPage(true)).toContain('<p role="alert">Wrong user or password.</p>')
    expect(loginPage(false)).toContain('<form method="post" action="/login">')
  })
})
