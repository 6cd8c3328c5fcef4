#!/usr/bin/env node
import { run } from './main.js'

// `keyward … | head -1` closes stdout early: that ends the output, it is not an error to report.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

process.exitCode = await run(process.argv.slice(2))

// The instance is closed by now and the process exits by itself. A config module that opened
// something of its own (a database pool of the app) would keep it alive: after a grace period the
// watchdog says so and exits. Unref'd, it never holds the process itself.
setTimeout(() => {
  const handles = process.getActiveResourcesInfo().filter((name) => name !== 'Timeout')
  process.stderr.write(
    `keyward: the config module left ${handles.join(', ') || 'handles'} open; exiting anyway. Close them, or export only the Keyward instance.\n`,
  )
  process.exit()
}, 3000).unref()
