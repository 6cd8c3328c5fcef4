/**
 * The hot path alone, in this process and without HTTP: `check()` on a cache hit, and the SHA-256
 * of the same header that any design hashing the token pays. Medians of 7 batches, in ns a call.
 */
import { hash } from 'node:crypto'
import { createKeyward } from '@keyward/core'
import { sqliteStore } from '@keyward/core/sqlite'
import { median } from './ratios.js'

export type HotPath = { check: number; digest: number }

export const HOT_PATH_BATCHES = 7
export const HOT_PATH_CALLS = 200_000

function nanosecondsPerCall(work: () => unknown): number {
  const batches: number[] = []
  for (let batch = 0; batch < HOT_PATH_BATCHES; batch++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < HOT_PATH_CALLS; i++) work()
    batches.push(Number(process.hrtime.bigint() - start) / HOT_PATH_CALLS)
  }
  return median(batches)
}

export async function hotPathNanoseconds(sqlitePath: string, token: string): Promise<HotPath> {
  const kw = createKeyward({ store: sqliteStore({ path: sqlitePath }), tokenPrefix: 'bench' })
  try {
    const header = `Bearer ${token}`
    if (!(await kw.authenticate(header)).ok) throw new Error('the hot-path token did not authenticate')
    const hit = kw.check(header)
    if (hit instanceof Promise || !hit.ok) throw new Error('a cache hit was not answered synchronously')
    return {
      check: nanosecondsPerCall(() => kw.check(header)),
      digest: nanosecondsPerCall(() => hash('sha256', header, 'binary')),
    }
  } finally {
    await kw.close()
  }
}
