import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { propagationNote } from '../propagation.js'

export const usersCutOff: Command = {
  path: ['users', 'cut-off'],
  summary: 'Cut a user off: revoke every active token and end every session',
  details: [
    'For a deleted or disabled user. Tokens first, then the session version is bumped, so a failure half-way leaves fewer credentials, never more; run it again to finish.',
  ],
  options: {
    user: { type: 'string', value: 'id', required: true, help: 'the user to cut off' },
    reason: { type: 'string', value: 'text', help: 'why, kept with each revoked token' },
    json: {
      ...JSON_OPTION,
      help: 'print { userId, tokensRevoked, tokenIds, sessionVersion } as JSON on stdout',
    },
  },
  examples: ['keyward users cut-off --user 42 --reason "account deleted"'],
  async run({ args, output, keyward }) {
    const user = args.required('user')
    const reason = args.string('reason')
    const kw = await keyward()
    const cut = await kw.users.revokeAll(user, reason === undefined ? {} : { reason })
    if (args.flag('json')) output.json(cut)
    output.info(
      `Cut off user ${user}: ${cut.tokensRevoked} active token${cut.tokensRevoked === 1 ? '' : 's'} revoked, session version now ${cut.sessionVersion} (every earlier session token is refused).`,
    )
    output.info(await propagationNote(kw))
    return EXIT.ok
  },
}
