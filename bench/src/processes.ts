/**
 * The processes of a run: a server and a load generator, each pinned to a core of its own where the
 * machine allows it, and the CPU time a process has used.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { KeywardStats } from '@keyward/core'
import type { LoadJob, LoadResult } from './load.js'
import type { ServerSpec } from './variants.js'

// Pipelined requests keep the server, not autocannon, the bottleneck: without them one core of
// autocannon saturates before a bare Hono route does, and every variant looks alike.
export const CONNECTIONS = 10
export const PIPELINING = 10

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0
}

// On a machine with two or more cores the server gets the last core and the load generator the
// first, each to itself: otherwise the scheduler moves them around and a run measures the scheduler.
const CORES = cpus().length
export const PINNED = process.platform === 'linux' && CORES >= 2 && hasTaskset()
export const SERVER_CORE = String(CORES - 1)
export const LOAD_CORE = '0'
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

function pinned(core: string, command: string, args: string[]): [string, string[]] {
  return PINNED ? ['taskset', ['-c', core, command, ...args]] : [command, args]
}

/** CPU time (user + system) a process has used, in ms; null where /proc is not available. */
export function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // utime and stime are fields 14 and 15 of stat, i.e. 12 and 13 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return null
  }
}

export type Server = {
  port: number
  /** The port of an observed server's metrics endpoint (see observed.ts); null for the others. */
  metricsPort: number | null
  pid: number | undefined
  /** Stops the server; a Keyward server tells its stats as it exits. */
  stop(): Promise<KeywardStats | null>
}

/** Starts a server from the compiled JavaScript against the packages' dist: what an application runs. */
export async function startServer(spec: ServerSpec, name: string, nodeFlags: string[]): Promise<Server> {
  const [command, args] = pinned(SERVER_CORE, process.execPath, [
    ...nodeFlags,
    fileURLToPath(new URL('./server.js', import.meta.url)),
  ])
  const child: ChildProcess = spawn(command, args, {
    env: { ...process.env, BENCH_SERVER: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  let spawnError: Error | null = null
  child.once('error', (error) => {
    spawnError = error
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  while (!/listening (\d+)/.test(output)) {
    if (spawnError !== null) throw new Error(`server ${name} could not be started`, { cause: spawnError })
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill()
      throw new Error(`server ${name} did not start:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const metricsPort = /^metrics (\d+)$/m.exec(output)?.[1]
  return {
    port: Number(/listening (\d+)/.exec(output)?.[1]),
    metricsPort: metricsPort === undefined ? null : Number(metricsPort),
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM')
      await exited
      const stats = /^stats (.*)$/m.exec(output)?.[1]
      return stats === undefined ? null : (JSON.parse(stats) as KeywardStats)
    },
  }
}

/** Loads a server's `GET /r` from the load core for `seconds`, in a process of its own. */
export async function load(port: number, authorization: string | null, seconds: number): Promise<LoadResult> {
  const job: LoadJob = {
    url: `http://127.0.0.1:${port}/r`,
    authorization,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    seconds,
  }
  const [command, args] = pinned(LOAD_CORE, process.execPath, [
    fileURLToPath(new URL('./load.js', import.meta.url)),
    JSON.stringify(job),
  ])
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', resolve)
    child.once('error', reject)
  })
  if (code !== 0) throw new Error(`the load generator exited with ${code}`)
  return JSON.parse(output) as LoadResult
}
