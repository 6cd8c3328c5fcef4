import { type KnownActor, requireActor } from './actor.js'
import type { Clock } from './clock.js'
import { type CommittedChangeContext, propagateThenAnnounce } from './committed-change.js'
import { KeywardError } from './errors.js'
import { eventOf, type KeywardEvent } from './events.js'
import { requireText, requireUserId } from './input.js'
import type { Keyward } from './keyward-types.js'
import type { Lifecycle } from './lifecycle.js'
import type { Sessions } from './sessions.js'
import type { KeywardStore } from './store.js'
import { storeCalls } from './store-calls.js'
import { cutOffUser } from './users.js'

/**
 * The management API of users and sessions: cutting a user off, and sessions' issue, bump and
 * version. A bump is committed, propagated, then announced (`session.bumped`) with its actor.
 */
export function createUserAdministration(
  context: CommittedChangeContext & {
    clock: Clock
    lifecycle: Lifecycle
    store: () => Promise<KeywardStore>
    sessions: Sessions | null
    /** The tokens' part: revokes every active token of a user, announcing each. */
    revokeUserTokens: (userId: string, reason: string | null, actor: KnownActor) => Promise<string[]>
  },
) {
  const { clock, sessions } = context
  const { assertOpen, withStore } = storeCalls(context)

  const sessionApi = () => {
    if (sessions === null)
      throw new KeywardError(
        'invalid_option',
        'Sessions are not configured: pass `sessions` to createKeyward().',
      )
    assertOpen()
    return sessions
  }

  // Without the sessions option, the version is bumped all the same: other processes may verify sessions.
  const endSessions = async (userId: string, actor: KnownActor): Promise<number> => {
    const at = clock.now()
    const version =
      sessions !== null
        ? await sessionApi().bump(userId, at)
        : await withStore('a session bump', (store) => store.bumpSessionVersion(userId, at))
    const event = eventOf('session.bumped', at, { userId, version, actor })
    await propagateThenAnnounce(context, { user: { id: userId, version } }, 'The session bump', [event])
    return version
  }

  const users: Keyward['users'] = {
    revokeAll: async (userId, options = {}) => {
      requireUserId(userId)
      const reason = options.reason === undefined ? null : requireText(options.reason, 'reason')
      const actor = requireActor(options.actor)
      const cutOff = await cutOffUser(userId, {
        revokeTokens: (id) => context.revokeUserTokens(id, reason, actor),
        endSessions: (id) => endSessions(id, actor),
      })
      const { tokenIds, sessionVersion } = cutOff
      const event: KeywardEvent = eventOf('user.cut-off', clock.now(), {
        userId,
        tokenIds,
        sessionVersion,
        actor,
      })
      await context.announce([event])
      return cutOff
    },
  }

  const sessionsAdmin: Keyward['sessions'] = {
    issue: async (input) => sessionApi().issue(input),
    bump: async (userId, options = {}) => {
      const actor = requireActor(options.actor)
      sessionApi()
      return endSessions(userId, actor)
    },
    version: async (userId) => sessionApi().version(userId),
  }

  return { users, sessions: sessionsAdmin }
}
