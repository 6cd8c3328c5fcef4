/**
 * `npm run bench`: every server in its own process, autocannon on loopback for a bounded time, the
 * same route and payload; then the abuse scenarios. Prints a table and writes benchmarks.md and
 * benchmarks.svg (to docs/ on a full run, or to BENCH_OUT). Not a test: it asserts nothing; it
 * reports against the targets.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { abuseScenarios } from './abuse.js'
import { Attempts } from './attempts.js'
import { prepareFixtures } from './fixtures.js'
import { hotPathNanoseconds } from './hot-path.js'
import type { RunContext } from './measure.js'
import { renderMarkdown } from './report.js'
import { renderSvg } from './report-svg.js'
import { renderTable, renderVerdicts } from './report-verdicts.js'
import { measureAll } from './rounds.js'
import { summarise } from './rows.js'
import { isFullRun, readSettings } from './settings.js'
import { selected, serviceNeeded, VARIANTS } from './variants.js'

const settings = readSettings()
const started = Date.now()
const fixtures = await prepareFixtures(settings)
try {
  const sqliteToken = fixtures.tokens['sqlite-token'] ?? ''
  const hotPath = await hotPathNanoseconds(fixtures.server.sqlitePath, sqliteToken)
  console.info(
    `in process: check() on a cache hit ${hotPath.check.toFixed(0)} ns, SHA-256 of the header alone ${hotPath.digest.toFixed(0)} ns`,
  )
  const active = selected(VARIANTS, settings.only).filter((variant) => {
    const service = serviceNeeded(variant)
    if (service === null || fixtures.available[service]) return true
    console.info(`skipping ${variant.id}: no ${service === 'postgres' ? 'Postgres' : 'Redis'}`)
    return false
  })
  const context: RunContext = {
    settings,
    fixtures: fixtures.server,
    tokens: fixtures.tokens,
    attempts: new Attempts(settings.attempts),
  }
  const { rounds, pairedRatios } = await measureAll(active, context)
  const rows = summarise(active, rounds, pairedRatios)
  const abuse = settings.skipAbuse || settings.only.length > 0 ? [] : await abuseScenarios(fixtures.dir)
  const verdicts = renderVerdicts(rows, rounds, settings)
  console.info(`\n${renderTable(rows)}\n\n${abuse.join('\n')}\n\n${verdicts.join('\n')}`)

  // The command as run, with the knobs that were set, so that a report says how it was made.
  const knobs = Object.entries(process.env)
    .filter(([name]) => name.startsWith('BENCH_') && name !== 'BENCH_OUT')
    .map(([name, value]) => `${name}=${value}`)
  const command = [...knobs, 'npm run bench'].join(' ')
  // A partial or instrumented run prints its table but leaves the published report alone.
  const out =
    settings.out ?? (isFullRun(settings) ? fileURLToPath(new URL('../../docs', import.meta.url)) : null)
  if (out !== null) {
    mkdirSync(out, { recursive: true })
    const input = { rows, rounds, abuse, hotPath, attempts: context.attempts, settings }
    writeFileSync(join(out, 'benchmarks.md'), renderMarkdown(input, command))
    writeFileSync(join(out, 'benchmarks.svg'), renderSvg(rows))
    console.info(`\nwrote ${join(out, 'benchmarks.md')} and benchmarks.svg`)
  }
  console.info(`the benchmark took ${((Date.now() - started) / 60_000).toFixed(1)} min`)
} finally {
  await fixtures.cleanUp()
}
