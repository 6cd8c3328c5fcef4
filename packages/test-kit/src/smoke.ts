import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=keyward-source', '--import', 'tsx', 'src/server.ts', '--demo'],
    {
      cwd: exampleDir,
      env: { ...process.env, PORT: '0', KEYWARD_DATABASE_URL: join(dir, 'keyward.db') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + 30_000
  while (!/^403 {2}curl/m.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the example did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? ''
  return { base, output: () => output, stop }
}

/** The demo token the example printed. */
export function demoToken(output: string): string {
  const token = /^ {2}(\S+_\S+)$/m.exec(output)?.[1]
  if (!token) throw new Error(`no demo token in:\n${output}`)
  return token
}
