import type { TokenStatus } from '@keyward/core'
import { usageError } from '../args.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { recordJSON, tokenTable } from '../records.js'
import { limitOption } from './limit.js'
import { readPages } from './pages.js'

const DEFAULT_LIMIT = 100

export const tokensList: Command = {
  path: ['tokens', 'list'],
  summary: 'List a user’s tokens, newest first',
  details: ['Never shows a secret or a hash: a token is told apart by its id and display prefix.'],
  options: {
    user: { type: 'string', value: 'id', required: true, help: 'whose tokens' },
    status: { type: 'string', value: 'active|expired|revoked', help: 'only tokens in this state' },
    limit: { type: 'string', value: 'n', help: `at most this many (default ${DEFAULT_LIMIT})` },
    all: { type: 'boolean', help: 'every token, however many' },
    json: { ...JSON_OPTION, help: 'print an array of records as JSON on stdout' },
  },
  examples: ['keyward tokens list --user 42 --status active', 'keyward tokens list --user 42 --all --json'],
  async run({ args, output, keyward, name }) {
    const user = args.required('user')
    const all = args.flag('all')
    if (args.string('limit') !== undefined && all)
      throw usageError(name, '--limit and --all exclude each other.')
    const limit = all ? Number.POSITIVE_INFINITY : limitOption(args, name, DEFAULT_LIMIT)
    const status = args.string('status') as TokenStatus | undefined
    const kw = await keyward()
    const { records, more } = await readPages(limit, (size, cursor) =>
      kw.tokens.page(user, {
        limit: size,
        ...(status === undefined ? {} : { status }),
        ...(cursor === null ? {} : { cursor }),
      }),
    )
    if (args.flag('json')) output.json(records.map(recordJSON))
    else if (records.length > 0) output.out(tokenTable(output, records))
    const what = status === undefined ? 'tokens' : `${status} tokens`
    if (records.length === 0) output.info(`User ${user} has no ${what}.`)
    else if (more)
      output.info(`Showing the newest ${records.length} ${what}; there are more: pass --limit <n> or --all.`)
    return EXIT.ok
  },
}
