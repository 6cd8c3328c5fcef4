import { userInfo } from 'node:os'
import type { Actor, Keyward } from '@keyward/core'
import type { Io } from './io.js'

/**
 * Who the CLI acts as: `{ kind: 'cli', id: <the OS user name> }`, so that the events and the audit
 * log say the command line made a change (a call that names no actor is recorded as `admin`).
 * Applied once, to the instance every command gets (main.ts), rather than by each command.
 */

/** The longest actor id the core takes. */
const MAX_ID = 255
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** A name an actor id can hold, or null: what the core would refuse must not fail the command. */
function usableName(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) return null
  const wellFormed = (value as string & { isWellFormed(): boolean }).isWellFormed()
  return wellFormed && !CONTROL.test(value) ? value : null
}

/**
 * The CLI's actor: the OS user running it, from `os.userInfo()`; where that fails (a container's
 * uid with no passwd entry), `$USER`, `$LOGNAME` or `%USERNAME%`; else no id.
 */
export function cliActor(env: Io['env'], readUser: () => { username: string } = userInfo): Actor {
  let name: string | null = null
  try {
    name = usableName(readUser().username)
  } catch {
    // No user database entry: the environment may still name the user.
  }
  name ??= usableName(env.USER) ?? usableName(env.LOGNAME) ?? usableName(env.USERNAME)
  return { kind: 'cli', id: name }
}

/**
 * `target` with the given members in place of its own, for those it has (an older core lacks some
 * methods); the others are read through to it.
 */
function overriding<T extends object>(target: T, members: Partial<T>): T {
  const view = Object.create(target) as T
  for (const [key, value] of Object.entries(members)) {
    if (typeof (target as Record<string, unknown>)[key] === typeof value) {
      Object.defineProperty(view, key, { value, enumerable: true })
    }
  }
  return view
}

/**
 * The instance as the commands see it: every management call that takes an actor gets `actor`
 * unless it names one; everything else is the instance's own (its prototype). An older core that
 * takes no actor ignores the option.
 */
export function actingAs(kw: Keyward, actor: Actor): Keyward {
  const withActor = <O extends { actor?: Actor }>(options: O | undefined): O =>
    ({ ...options, actor: options?.actor ?? actor }) as O
  const { tokens, users, sessions } = kw
  return overriding(kw, {
    tokens: overriding(tokens, {
      create: (input) => tokens.create(withActor(input)),
      revoke: (id, options) => tokens.revoke(id, withActor(options)),
      update: (id, changes, options) => tokens.update(id, changes, withActor(options)),
      revokeAll: (userId, options) => tokens.revokeAll(userId, withActor(options)),
      rotate: (id, options) => tokens.rotate(id, withActor(options)),
      warnExpiring: (options) => tokens.warnExpiring(withActor(options)),
    }),
    users: overriding(users, {
      revokeAll: (userId, options) => users.revokeAll(userId, withActor(options)),
    }),
    sessions: overriding(sessions, {
      bump: (userId, options) => sessions.bump(userId, withActor(options)),
    }),
  })
}
