import { describe, expect, it } from 'vitest'
import { type CrossSiteReaders, createCrossSiteCheck } from './cross-site.js'
import { createGuard } from './http.js'

type Request = { method?: string; host?: string; headers: Record<string, string> }
const readers: CrossSiteReaders<Request> = {
  method: (r) => r.method,
  header: (r, name) => r.headers[name],
  host: (r) => r.host,
}
const request = (method: string, headers: Record<string, string> = {}): Request => ({
  method,
  host: 'app.test',
  headers,
})

describe('createCrossSiteCheck', () => {
  const check = createCrossSiteCheck(undefined)
  const refused = (r: Request) => check?.(r, readers as CrossSiteReaders<unknown>)

  it('refuses unsafe requests a browser marks cross-site or same-site, or from another Origin', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'post']) {
      expect(refused(request(method, { 'sec-fetch-site': 'cross-site' }))).toBe(true)
    }
    expect(refused(request('POST', { 'sec-fetch-site': 'same-site' }))).toBe(true)
    expect(refused(request('POST', { 'sec-fetch-site': 'something-new' }))).toBe(true)
    expect(refused(request('POST', { origin: 'https://evil.example' }))).toBe(true)
    expect(refused(request('POST', { origin: 'null' }))).toBe(true)
    expect(refused(request('POST', { origin: 'http://app.test.evil.example' }))).toBe(true)
    expect(refused({ method: 'POST', headers: { origin: 'http://app.test' } })).toBe(true)
  })

  it('lets safe methods, same-origin requests and requests without browser headers through', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      expect(refused(request(method, { 'sec-fetch-site': 'cross-site' }))).toBe(false)
    }
    expect(refused(request('POST', { 'sec-fetch-site': 'same-origin' }))).toBe(false)
    expect(refused(request('POST', { 'sec-fetch-site': 'none' }))).toBe(false)
    expect(refused(request('POST', { origin: 'http://APP.test' }))).toBe(false)
    expect(refused(request('POST', { origin: '', 'sec-fetch-site': '' }))).toBe(false)
    expect(refused(request('POST'))).toBe(false)
    // Without a method reader (a bare cookie reader), there is nothing to judge by.
    expect(check?.(request('POST', { 'sec-fetch-site': 'cross-site' }), {})).toBe(false)
  })

  it('trusts listed origins, and same-site pages when asked', () => {
    const trusting = createCrossSiteCheck({ trustedOrigins: ['https://admin.example'], allowSameSite: true })
    const verdict = (r: Request) => trusting?.(r, readers as CrossSiteReaders<unknown>)
    expect(
      verdict(request('POST', { 'sec-fetch-site': 'cross-site', origin: 'https://admin.example' })),
    ).toBe(false)
    expect(verdict(request('POST', { origin: 'https://admin.example' }))).toBe(false)
    expect(verdict(request('POST', { 'sec-fetch-site': 'same-site' }))).toBe(false)
    expect(
      verdict(request('POST', { 'sec-fetch-site': 'cross-site', origin: 'https://other.example' })),
    ).toBe(true)
    expect(createCrossSiteCheck(false)).toBeNull()
  })

  it('validates its options precisely', () => {
    expect(() => createCrossSiteCheck({ trustedOrigins: ['https://a.example/'] })).toThrow(
      /no path or trailing slash/,
    )
    expect(() => createCrossSiteCheck({ trustedOrigins: ['a.example'] })).toThrow(/"a.example"/)
    expect(() => createCrossSiteCheck({ trustedOrigins: 'https://a.example' as never })).toThrow(/array/)
    expect(() => createCrossSiteCheck({ allowSameSite: 'yes' as never })).toThrow(/allowSameSite/)
    expect(() => createCrossSiteCheck({ trustedOrigin: [] } as never)).toThrow(
      /unknown option csrf.trustedOrigin/,
    )
    expect(() => createCrossSiteCheck(true as never)).toThrow(/`csrf` must be false or an object/)
    expect(() => createGuard({ csrf: false, keyward: { check: () => ({ ok: true }) } as never })).toThrow(
      /set `sessionCookie` too/,
    )
  })
})
