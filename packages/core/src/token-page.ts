import { KeywardError } from './errors.js'
import { escapeHtml, pageHtml } from './token-page-html.js'
import { PAGE_SCRIPT } from './token-page-script.js'
import { PAGE_STYLE } from './token-page-style.js'
import type { TokenRouteResponse } from './token-route-answers.js'

/**
 * The token settings page, served by the token routes' handler at `GET /` with its two assets at
 * `GET /assets/page.css` and `GET /assets/page.js`: static text, no build step, a strict CSP.
 */

export type SettingsPageOptions = {
  /** A same-origin stylesheet loaded after the page's, to set its `--kw-*` custom properties. */
  stylesheet?: string
  /** The page's title and heading (default "Personal access tokens"). */
  title?: string
}

/** Sent with the page: only this origin's script, style and requests; no inline code, no framing. */
export const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const ASSETS: ReadonlyMap<string, { type: string; body: string }> = new Map([
  ['page.css', { type: 'text/css; charset=utf-8', body: PAGE_STYLE }],
  ['page.js', { type: 'text/javascript; charset=utf-8', body: PAGE_SCRIPT }],
])
const PAGE_KEYS: ReadonlySet<string> = new Set(['stylesheet', 'title'])
// Only a plain path may become the mount in the page's links: never `//host`, a scheme or a quote.
const MOUNT = /^(\/[\w.~%!$&'()*+,;=:@-]+)*$/

function misuse(message: string): KeywardError {
  return new KeywardError('invalid_option', `tokenRoutes(): ${message}`)
}

function answer(status: number, type: string, body: string, extra: Record<string, string> = {}) {
  return {
    status,
    headers: {
      'Cache-Control': 'no-store',
      'Content-Type': type,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...extra,
    },
    body,
  }
}

export type TokenPage = {
  /** The page or an asset, or null when the request is not for them. */
  serve(method: string, path: string, fullPath: string | undefined): TokenRouteResponse | null
}

/** `page` as `tokenRoutes()` takes it; null when the app turned the page off. */
export function createTokenPage(page: boolean | SettingsPageOptions | undefined): TokenPage | null {
  if (page === false) return null
  const options = page === undefined || page === true ? {} : page
  if (typeof options !== 'object' || options === null) {
    throw misuse('`page` must be true, false or { stylesheet?, title? }.')
  }
  for (const key of Object.keys(options)) {
    if (!PAGE_KEYS.has(key)) throw misuse(`unknown page option ${JSON.stringify(key)}.`)
  }
  const { stylesheet, title = 'Personal access tokens' } = options
  if (stylesheet !== undefined && (typeof stylesheet !== 'string' || stylesheet === '')) {
    throw misuse('`page.stylesheet` must be a URL of this site, e.g. "/theme.css".')
  }
  if (typeof title !== 'string' || title.trim() === '')
    throw misuse('`page.title` must be a non-empty string.')
  const links = {
    stylesheet: stylesheet === undefined ? null : escapeHtml(stylesheet),
    title: escapeHtml(title),
  }

  return {
    serve(method, path, fullPath) {
      const isRead = method === 'GET' || method === 'HEAD'
      if (path === '/' || path === '') {
        if (!isRead) return null
        // The client's own path gives the mount, so the links hold with or without a trailing slash.
        const mount = fullPath?.replace(/\/+$/, '') ?? null
        const assets = mount !== null && MOUNT.test(mount) ? `${escapeHtml(mount)}/assets/` : 'assets/'
        return answer(200, 'text/html; charset=utf-8', pageHtml({ ...links, assets }), {
          'Content-Security-Policy': PAGE_CSP,
          'X-Frame-Options': 'DENY',
        })
      }
      if (!path.startsWith('/assets/') || !isRead) return null
      const asset = ASSETS.get(path.slice('/assets/'.length))
      if (asset === undefined) return null
      return answer(200, asset.type, asset.body)
    },
  }
}
