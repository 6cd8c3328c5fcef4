import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { propagationNote } from '../propagation.js'

export const tokensRevokeAll: Command = {
  path: ['tokens', 'revoke-all'],
  summary: 'Revoke every active token of a user (sessions are untouched)',
  details: ['To cut a user off entirely, tokens and sessions, use `keyward users cut-off`.'],
  options: {
    user: { type: 'string', value: 'id', required: true, help: 'whose tokens' },
    reason: { type: 'string', value: 'text', help: 'why, kept with each record' },
    json: { ...JSON_OPTION, help: 'print { userId, revoked } as JSON on stdout' },
  },
  examples: ['keyward tokens revoke-all --user 42 --reason "left the company"'],
  async run({ args, output, keyward }) {
    const user = args.required('user')
    const reason = args.string('reason')
    const kw = await keyward()
    const revoked = await kw.tokens.revokeAll(user, reason === undefined ? {} : { reason })
    if (args.flag('json')) output.json({ userId: user, revoked })
    output.info(`Revoked ${revoked} active token${revoked === 1 ? '' : 's'} of user ${user}.`)
    if (revoked > 0) output.info(await propagationNote(kw))
    return EXIT.ok
  },
}
