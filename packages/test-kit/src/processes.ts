import { type ChildProcess, spawn } from 'node:child_process'

export type AppProcess = {
  base: string
  request(
    method: 'GET' | 'POST',
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>
  stop(): Promise<void>
}

/**
 * Starts an app script as its own Node process with this environment; resolves once it prints
 * `listening <port>`.
 */
export async function startAppProcess(script: string, env: Record<string, string>): Promise<AppProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=keyward-source', '--import', 'tsx', script],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
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
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 30_000
  const listening = () => /listening (\d+)/.exec(output)?.[1]
  while (listening() === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`the app process did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const base = `http://127.0.0.1:${listening()}`
  return {
    base,
    stop,
    async request(method, path, headers = {}) {
      const response = await fetch(base + path, { method, headers })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : null }
    },
  }
}
