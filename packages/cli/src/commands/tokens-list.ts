import type { TokenRecord, TokenStatus } from '@keyward/core'
import { usageError } from '../args.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { recordJSON, tokenTable } from '../records.js'

/** The most a page of `tokens.page()` holds. */
const PAGE = 100
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
    const limitText = args.string('limit')
    const all = args.flag('all')
    if (limitText !== undefined && all) throw usageError(name, '--limit and --all exclude each other.')
    const limit = all ? Number.POSITIVE_INFINITY : Number(limitText ?? DEFAULT_LIMIT)
    if (!all && (!Number.isSafeInteger(limit) || limit < 1)) {
      throw usageError(name, `--limit takes a whole number of at least 1; got ${JSON.stringify(limitText)}.`)
    }
    const status = args.string('status') as TokenStatus | undefined
    const kw = await keyward()
    const records: TokenRecord[] = []
    let cursor: string | null = null
    do {
      const page = await kw.tokens.page(user, {
        limit: Math.min(PAGE, limit - records.length),
        ...(status === undefined ? {} : { status }),
        ...(cursor === null ? {} : { cursor }),
      })
      records.push(...page.tokens)
      cursor = page.nextCursor
    } while (cursor !== null && records.length < limit)
    if (args.flag('json')) output.json(records.map(recordJSON))
    else if (records.length > 0) output.out(tokenTable(output, records))
    const what = status === undefined ? 'tokens' : `${status} tokens`
    if (records.length === 0) output.info(`User ${user} has no ${what}.`)
    else if (cursor !== null)
      output.info(`Showing the newest ${records.length} ${what}; there are more: pass --limit <n> or --all.`)
    return EXIT.ok
  },
}
