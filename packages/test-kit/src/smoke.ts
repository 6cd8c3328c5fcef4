import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startNodeProcess } from './processes.js'

export type RunningExample = {
  base: string
  /** Everything the process printed so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts an example's server as its own process (`src/server.ts --demo` on a random port and a
 * throwaway SQLite file) and resolves once it prints its address and demo curl lines.
 */
export async function startExample(exampleDir: string): Promise<RunningExample> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-example-'))
  try {
    const running = await startNodeProcess(['src/server.ts', '--demo'], {
      cwd: exampleDir,
      env: { PORT: '0', KEYWARD_DATABASE_URL: join(dir, 'keyward.db') },
      ready: /^403 {2}curl/m,
    })
    const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())?.[1] ?? ''
    return {
      base,
      output: running.output,
      async stop() {
        await running.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}

/** The demo token the example printed. */
export function demoToken(output: string): string {
  const token = /^ {2}(\S+_\S+)$/m.exec(output)?.[1]
  if (!token) throw new Error(`no demo token in:\n${output}`)
  return token
}
