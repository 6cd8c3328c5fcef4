#!/usr/bin/env node
import { EXIT } from './exit-codes.js'
import { run } from './main.js'

// A failed write to stdout reaches the command's own write callbacks (see run() and io.ts): the
// stream's later 'error' event is not a crash.
process.stdout.on('error', () => {})

// A promise that never settles with nothing left open (a config module's top-level await on
// nothing) empties the event loop with the command unfinished: Node would end it with exit code 13
// and no word. Say what happened instead.
let finished = false
process.once('beforeExit', () => {
  if (finished) return
  process.stderr.write(
    'keyward: the command stopped half-way: it waited on a promise that never settled and nothing else was left to run (a top-level await in the config module, or a function it exports, that never finishes?). Run again with --debug, or check the module with `npx tsx`.\n',
  )
  process.exitCode = EXIT.unavailable
})

process.exitCode = await run(process.argv.slice(2))
finished = true

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
