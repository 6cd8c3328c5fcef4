import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import { sha256Hasher } from '../hashing.js'
import { createKeyward, type KeywardOptions } from '../keyward.js'

/**
 * For a test file of instances on SQLite files of its own: `file()` names a new file in a
 * directory removed after the test file; `instance()` creates one (the fast hasher, warnings
 * dropped) that is closed after its test; `closeAfter()` adds anything else to close then. What
 * was opened last is closed first.
 */
export function scratchInstances(label: string) {
  const dir = mkdtempSync(join(tmpdir(), `keyward-${label}-`))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let files = 0
  const closers: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  return {
    file: () => join(dir, `${++files}.db`),
    closeAfter(close: () => Promise<unknown>): void {
      closers.push(close)
    },
    instance(options: KeywardOptions) {
      const kw = createKeyward({ hasher: sha256Hasher(), logger: { warn: () => {} }, ...options })
      closers.push(() => kw.close())
      return kw
    },
  }
}
