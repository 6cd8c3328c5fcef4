import type { AuditAction, AuditEntry } from '@keyward/core'
import { usageError } from '../args.js'
import { CliError } from '../cli-error.js'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { shortDate } from '../records.js'
import { formatTable } from '../table.js'

/** The most a page of `audit.page()` holds. */
const PAGE = 100
const DEFAULT_LIMIT = 50

/** An entry as JSON: the core's fields, `at` as an ISO string. */
function entryJSON(entry: AuditEntry) {
  return { ...entry, at: entry.at.toISOString() }
}

const actorCell = ({ actor }: AuditEntry) => (actor.id === null ? actor.kind : `${actor.kind}:${actor.id}`)

export const auditCommand: Command = {
  path: ['audit'],
  summary: 'Read the audit log, newest first',
  details: [
    'The entries the app’s instance appends with `audit: true` (token created, updated, revoked, rotated, leaked, warned of its expiry; session bumped; user cut off): who, when, from where. Never a token or a hash.',
  ],
  options: {
    user: { type: 'string', value: 'id', help: 'only entries about this user' },
    token: { type: 'string', value: 'id', help: 'only entries about this token' },
    action: { type: 'string', value: 'action', help: 'only this action, e.g. token.revoked' },
    limit: { type: 'string', value: 'n', help: `at most this many (default ${DEFAULT_LIMIT})` },
    json: { ...JSON_OPTION, help: 'print an array of entries as JSON on stdout' },
  },
  examples: [
    'keyward audit --user 42',
    'keyward audit --token 3fK9x2aB --json',
    'keyward audit --action token.leaked',
  ],
  async run({ args, output, keyward, name }) {
    const limitText = args.string('limit')
    const limit = Number(limitText ?? DEFAULT_LIMIT)
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw usageError(name, `--limit takes a whole number of at least 1; got ${JSON.stringify(limitText)}.`)
    }
    const user = args.string('user')
    const token = args.string('token')
    const action = args.string('action') as AuditAction | undefined
    const kw = await keyward()
    if (typeof kw.audit?.page !== 'function') {
      throw new CliError(EXIT.config, 'This Keyward has no audit log (an older @keyward/core).', {
        hint: 'Upgrade @keyward/core in the app, and create its instance with `audit: true`.',
      })
    }
    const entries: AuditEntry[] = []
    let cursor: string | null = null
    do {
      const page: Awaited<ReturnType<typeof kw.audit.page>> = await kw.audit.page({
        limit: Math.min(PAGE, limit - entries.length),
        ...(user === undefined ? {} : { userId: user }),
        ...(token === undefined ? {} : { tokenId: token }),
        ...(action === undefined ? {} : { action }),
        cursor,
      })
      entries.push(...page.entries)
      cursor = page.nextCursor
    } while (cursor !== null && entries.length < limit)
    if (args.flag('json')) output.json(entries.map(entryJSON))
    else if (entries.length > 0) {
      output.out(
        formatTable<AuditEntry>(
          [
            { header: 'at', cell: (entry) => shortDate(entry.at) },
            { header: 'action', cell: (entry) => entry.action },
            { header: 'actor', cell: actorCell },
            { header: 'user', cell: (entry) => entry.userId ?? '' },
            { header: 'token', cell: (entry) => entry.tokenId ?? '' },
            { header: 'address', cell: (entry) => entry.actor.address ?? '' },
            {
              header: 'detail',
              cell: (entry) => (entry.detail === null ? '' : JSON.stringify(entry.detail)),
              max: 80,
            },
          ],
          entries,
        ),
      )
    }
    if (entries.length === 0) output.info('No audit entries.')
    else if (cursor !== null)
      output.info(`Showing the newest ${entries.length} entries; there are more: pass --limit <n>.`)
    if (!kw.audit.enabled) {
      output.info('This configuration does not write the audit log: the app’s instance needs `audit: true`.')
    }
    return EXIT.ok
  },
}
