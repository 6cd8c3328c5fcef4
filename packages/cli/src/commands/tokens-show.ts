import { CliError } from '../cli-error.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { recordJSON, recordPairs } from '../records.js'
import { tokenIdArgument } from './token-ids.js'

export const tokensShow: Command = {
  path: ['tokens', 'show'],
  summary: 'Show one token’s record (never its secret)',
  positionals: [{ name: 'id', help: 'the token’s id (the part between the underscores)' }],
  options: { json: JSON_OPTION },
  examples: ['keyward tokens show 3fK9x2Lm0pQrStUvWxYz01'],
  async run({ args, output, keyward, name }) {
    const id = tokenIdArgument(args, name)
    const kw = await keyward()
    const record = await kw.tokens.get(id)
    if (record === null) {
      throw new CliError(EXIT.refused, `${name}: no token with id ${JSON.stringify(id)}.`, {
        hint: 'Find ids with `keyward tokens list --user <id>`.',
      })
    }
    if (args.flag('json')) output.json(recordJSON(record))
    else output.out(recordPairs(record))
    return EXIT.ok
  },
}
