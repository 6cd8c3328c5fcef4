import { isKeywardError } from '@keyward/core'
import { CliError } from '../cli-error.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { propagationNote } from '../propagation.js'

export const sessionsBump: Command = {
  path: ['sessions', 'bump'],
  summary: 'Log a user out everywhere: every session token issued before is refused',
  details: [
    'Personal access tokens are untouched (see `keyward tokens revoke-all`, or `keyward users cut-off` for both). Needs the app’s instance, configured with `sessions`.',
  ],
  options: {
    user: { type: 'string', value: 'id', required: true, help: 'whose sessions' },
    json: { ...JSON_OPTION, help: 'print { userId, version } as JSON on stdout' },
  },
  examples: ['keyward sessions bump --user 42'],
  async run({ args, output, keyward }) {
    const user = args.required('user')
    const kw = await keyward()
    let version: number
    try {
      version = await kw.sessions.bump(user)
    } catch (error) {
      if (!isKeywardError(error) || error.code !== 'invalid_option') throw error
      throw new CliError(
        EXIT.config,
        `${error.message} This configuration issues no session tokens to end.`,
        {
          hint: 'Pass --config with the app’s own instance (created with `sessions`), or end sessions and tokens together: `keyward users cut-off --user <id>`.',
        },
      )
    }
    if (args.flag('json')) output.json({ userId: user, version })
    output.info(
      `Session version of user ${user} is now ${version}: every session token issued before is refused.`,
    )
    output.info(await propagationNote(kw))
    return EXIT.ok
  },
}
