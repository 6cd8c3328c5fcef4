import type { Keyward } from '@keyward/core'
import { CliError } from './cli-error.js'
import { EXIT } from './exit-codes.js'

/**
 * What a config module must export: an object with the members the commands call. Checked by
 * shape, never with instanceof: the app's copy of @keyward/core is not the CLI's.
 */
const MEMBERS = [
  'authenticate',
  'credentialKind',
  'stats',
  'close',
  'tokens.create',
  'tokens.list',
  'tokens.page',
  'tokens.get',
  'tokens.revoke',
  'tokens.revokeAll',
  'tokens.rotate',
  'users.revokeAll',
  'sessions.bump',
] as const

function member(value: unknown, path: string): unknown {
  let current = value
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** The instance, or a configuration error naming what is missing and what to export. */
export function assertKeyward(value: unknown, where: string): Keyward {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
  if (typeof value !== 'object' || value === null) {
    throw new CliError(EXIT.config, `${where} gives ${what}, not a Keyward instance.`, {
      hint: 'Export the instance createKeyward() returned: `export default kw` (or `export const keyward = kw`).',
    })
  }
  const missing = MEMBERS.filter((path) => typeof member(value, path) !== 'function')
  const prefixOk = typeof (value as { tokenPrefix?: unknown }).tokenPrefix === 'string'
  const scopesOk = Array.isArray((value as { scopes?: unknown }).scopes)
  if (missing.length > 0 || !prefixOk || !scopesOk) {
    const absent = [...(prefixOk ? [] : ['tokenPrefix']), ...(scopesOk ? [] : ['scopes']), ...missing]
    const named =
      absent.length > 4 ? `${absent.slice(0, 4).join(', ')} and ${absent.length - 4} more` : absent.join(', ')
    throw new CliError(EXIT.config, `${where} is not a Keyward instance: it has no ${named}.`, {
      hint: 'Export the instance createKeyward() returned (from @keyward/core 0.1 or later): `export default kw`, or `export const keyward = kw`.',
    })
  }
  return value as Keyward
}

/**
 * The operator calls of issue 23 (and `tokens.identify`, which `tokens revoke --stdin` needs), which
 * the commands for them check before use rather than `assertKeyward` for every command: an app on
 * an older @keyward/core keeps the other commands.
 */
export type OperatorMember =
  | 'tokens.identify'
  | 'migrations.status'
  | 'migrations.apply'
  | 'tokens.expiring'
  | 'tokens.purge'
  | 'doctor'

export function requireMember(kw: Keyward, path: OperatorMember, name: string): void {
  if (typeof member(kw, path) === 'function') return
  throw new CliError(EXIT.config, `${name} needs kw.${path}(), and the app's Keyward instance has none.`, {
    hint: "Upgrade the app's @keyward/core to the version beside this @keyward/cli.",
  })
}
