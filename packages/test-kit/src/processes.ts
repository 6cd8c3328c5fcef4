import { spawn } from 'node:child_process'

export type NodeProcess = {
  /** Everything the process printed so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * Runs a TypeScript script as its own Node process (sources through the `keyward-source`
 * condition) and resolves once its output matches `ready`; fails with that output if it exits or
 * takes longer than 30 s.
 */
export async function startNodeProcess(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; ready: RegExp },
): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--conditions=keyward-source', '--import', 'tsx', ...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
  }
  const deadline = Date.now() + 30_000
  while (!options.ready.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`${args.join(' ')} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { output: () => output, stop }
}

/**
 * The app's side of `startAppProcess`, for a fixture script (imported as
 * `@keyward/test-kit/processes`, without the test cases): `listen` starts the server and reports
 * its port, printed as `listening <port>`; on SIGTERM or SIGINT the server is closed, then `close`
 * (the Keyward instance), and the process exits.
 */
export function runAppProcess(
  listen: (onPort: (port: number) => void) => { close(): unknown },
  close: () => Promise<unknown>,
): void {
  const server = listen((port) => console.info(`listening ${port}`))
  const stop = async () => {
    server.close()
    await close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

export type AppProcess = {
  base: string
  request(
    method: 'GET' | 'POST',
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: unknown }>
  stop(): Promise<void>
}

/** Starts an app script that prints `listening <port>`, with this environment. */
export async function startAppProcess(script: string, env: Record<string, string>): Promise<AppProcess> {
  const running = await startNodeProcess([script], { env, ready: /listening (\d+)/ })
  const base = `http://127.0.0.1:${/listening (\d+)/.exec(running.output())?.[1]}`
  return {
    base,
    stop: running.stop,
    async request(method, path, headers = {}) {
      const response = await fetch(base + path, { method, headers })
      const text = await response.text()
      return { status: response.status, body: text ? JSON.parse(text) : null }
    },
  }
}
