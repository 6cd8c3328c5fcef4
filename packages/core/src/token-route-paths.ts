import { KeywardError } from './errors.js'

/** The token routes' paths: which route a method and path are, and where they are mounted. Pure. */

export type Action = 'list' | 'create' | 'read' | 'update' | 'revoke' | 'rotate' | 'scopes' | 'audit'
export type Route = { action: Action; id: string | null } | { allow: string }

/** A token id as the routes accept it in a path; anything else is a 404 without a store read. */
export const TOKEN_ID = /^[0-9A-Za-z]{1,64}$/

/** Which route a method and path are: null for none of ours (the adapter passes the request on). */
export function routeOf(method: string, path: string): Route | null {
  const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/')
  if (parts[0] !== '') return null
  const [, collection, id, verb] = parts
  const one = (action: Action): Route => ({ action, id: id ?? null })
  if (parts.length === 2 && collection === 'scopes')
    return method === 'GET' ? one('scopes') : { allow: 'GET' }
  if (parts.length === 2 && collection === 'audit') return method === 'GET' ? one('audit') : { allow: 'GET' }
  if (collection !== 'tokens' || parts.length > 4) return null
  if (parts.length === 2) {
    if (method === 'GET') return one('list')
    return method === 'POST' ? one('create') : { allow: 'GET, POST' }
  }
  if (parts.length === 4) {
    if (verb !== 'rotate') return null
    return method === 'POST' ? one('rotate') : { allow: 'POST' }
  }
  if (method === 'GET') return one('read')
  if (method === 'PATCH') return one('update')
  return method === 'DELETE' ? one('revoke') : { allow: 'GET, PATCH, DELETE' }
}

const MOUNT_PREFIX = /^(\/[^/?#]+)*$/

/** A mount prefix for adapters that see whole paths (Koa): `'/settings'`, or `''` for none. */
export function assertMountPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !MOUNT_PREFIX.test(prefix)) {
    throw new KeywardError(
      'invalid_option',
      "tokenRoutes(): `prefix` must be a path such as '/settings' (no trailing slash), or ''.",
    )
  }
}

/** The path below `prefix` (`'/'` for the prefix itself), or null when `path` is not under it. */
export function pathBelow(prefix: string, path: string): string | null {
  if (!(path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/')))
    return null
  return path.slice(prefix.length) || '/'
}
