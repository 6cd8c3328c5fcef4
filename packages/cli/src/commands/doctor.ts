import type { DoctorCheck, DoctorOptions, DoctorReport } from '@keyward/core'
import { type Command, JSON_OPTION } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { Output } from '../io.js'
import { colorsOn } from '../io.js'
import { requireMember } from '../keyward-shape.js'
import { type Column, formatTable } from '../table.js'

/** How each status is marked: symbols where stdout takes colours, words a log can be searched for. */
const MARKS = {
  symbols: { ok: '✓', warn: '!', fail: '✗', skipped: '-' },
  words: { ok: 'ok', warn: 'warn', fail: 'FAIL', skipped: 'skip' },
} as const
const STYLES = { ok: 'green', warn: 'yellow', fail: 'red', skipped: 'dim' } as const

/** A check's detail is what to do: never cut. */
const DETAIL_MAX = 2000

export function doctorTable(report: DoctorReport, output: Output, symbols: boolean): string {
  const marks = symbols ? MARKS.symbols : MARKS.words
  const columns: Column<DoctorCheck>[] = [
    {
      header: symbols ? '' : 'status',
      cell: (c) => marks[c.status],
      paint: (padded, c) => output.paintOut(STYLES[c.status], padded),
    },
    { header: 'check', cell: (c) => c.name },
    { header: 'ms', cell: (c) => (c.ms === undefined ? '' : String(c.ms)) },
    { header: 'detail', cell: (c) => c.detail, max: DETAIL_MAX },
  ]
  return formatTable(columns, report.checks)
}

function summary(report: DoctorReport): string {
  const count = (status: DoctorCheck['status']) => report.checks.filter((c) => c.status === status).length
  const [failed, warned] = [count('fail'), count('warn')]
  const warnings = warned === 0 ? '' : `${warned} warning${warned === 1 ? '' : 's'}`
  if (failed > 0) {
    return `${failed} check${failed === 1 ? '' : 's'} failed${warnings ? `, ${warnings}` : ''}: each detail says what to do.`
  }
  return warnings ? `No check failed; ${warnings}: see the details.` : 'Every check passed.'
}

export const doctorCommand: Command = {
  path: ['doctor'],
  summary: 'Check the store, migrations, invalidation channel, Redis and the hasher’s cost here',
  details: [
    'Each check is ok, warn, FAIL or skip, with what was found and what to do: the store answers (and how fast), no migration is pending, the deployment key is readable, a probe goes out over the invalidation channel and comes back, Redis answers, and a verification with the configured hasher (argon2id by default) on this machine, measured against OWASP’s parameters and 100 ms.',
    'Exit 0 when no check failed (warnings allowed), 1 when one did. It writes no token; on SQLite the channel’s probe is one row of the invalidation log.',
  ],
  options: {
    'no-hasher': { type: 'boolean', help: 'skip timing the hasher (a machine that serves nothing)' },
    timeout: {
      type: 'string',
      value: 'duration',
      help: 'how long each probe may take before its check fails (default 5s)',
    },
    json: { ...JSON_OPTION, help: 'print { ok, checks: [{ name, status, detail, ms? }] } as JSON on stdout' },
  },
  examples: ['keyward doctor', 'keyward doctor --no-hasher --timeout 2s --json'],
  worksUnmigrated: true,
  async run({ args, output, keyward, name, io }) {
    const timeout = args.string('timeout')
    const options: DoctorOptions = {
      hasher: !args.flag('no-hasher'),
      ...(timeout === undefined ? {} : { timeout: timeout as NonNullable<DoctorOptions['timeout']> }),
    }
    const kw = await keyward()
    requireMember(kw, 'doctor', name)
    const report = await kw.doctor(options)
    if (args.flag('json')) output.json(report)
    else output.out(doctorTable(report, output, colorsOn(io.stdout, io.env)))
    output.info(summary(report))
    return report.ok ? EXIT.ok : EXIT.refused
  },
}
