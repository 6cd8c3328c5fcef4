import type { ExpiringTokensOptions, TokenRecord } from '@keyward/core'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { requireMember } from '../keyward-shape.js'
import { recordJSON, shortDate, timeUntil } from '../records.js'
import { type Column, formatTable } from '../table.js'
import { limitOption } from './limit.js'
import { readPages } from './pages.js'

function expiringTable(records: readonly TokenRecord[], now: number): string {
  const columns: Column<TokenRecord>[] = [
    { header: 'id', cell: (r) => r.id },
    { header: 'user', cell: (r) => r.userId },
    { header: 'name', cell: (r) => r.name },
    { header: 'prefix', cell: (r) => r.prefix },
    { header: 'expires', cell: (r) => shortDate(r.expiresAt) },
    { header: 'in', cell: (r) => (r.expiresAt === null ? '' : timeUntil(r.expiresAt, now)) },
  ]
  return formatTable(columns, records)
}

export const tokensExpiring: Command = {
  path: ['tokens', 'expiring'],
  summary: 'List the active tokens of every user (or one) that expire soon, soonest first',
  details: [
    'Active tokens whose expiry falls within --within from now; a rotated token still in its grace period is listed, with the end of that period as its expiry. Every page is read unless --limit is given.',
  ],
  options: {
    within: {
      type: 'string',
      value: 'duration',
      required: true,
      help: 'how far ahead to look, such as 7d, 48h (at least 1m)',
    },
    user: { type: 'string', value: 'id', help: 'only this user’s tokens (default: every user’s)' },
    limit: { type: 'string', value: 'n', help: 'at most this many (default: all)' },
    json: { ...JSON_OPTION, help: 'print an array of records as JSON on stdout' },
  },
  examples: ['keyward tokens expiring --within 7d', 'keyward tokens expiring --within 30d --user 42 --json'],
  async run({ args, output, keyward, name }) {
    const within = args.required('within') as ExpiringTokensOptions['within']
    const user = args.string('user')
    const limit = limitOption(args, name, Number.POSITIVE_INFINITY)
    const kw = await keyward()
    requireMember(kw, 'tokens.expiring', name)
    const now = Date.now()
    const { records, more } = await readPages(limit, (size, cursor) =>
      kw.tokens.expiring({
        within,
        limit: size,
        ...(user === undefined ? {} : { userId: user }),
        ...(cursor === null ? {} : { cursor }),
      }),
    )
    if (args.flag('json')) output.json(records.map(recordJSON))
    else if (records.length > 0) output.out(expiringTable(records, now))
    const whose = user === undefined ? '' : ` of user ${user}`
    const count = `${records.length} active token${records.length === 1 ? '' : 's'}${whose}`
    if (records.length === 0) output.info(`No active token${whose} expires within ${within}.`)
    else if (more) {
      output.info(
        `Showing the ${count} that expire soonest; there are more: raise --limit, or leave it out for all.`,
      )
    } else output.info(`${count} expire${records.length === 1 ? 's' : ''} within ${within}.`)
    return EXIT.ok
  },
}
