import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { usageError } from './args.js'
import { CliError } from './cli-error.js'
import { EXIT } from './exit-codes.js'
import type { Io } from './io.js'

/**
 * One token, read from stdin: never from the command line, where shell history and `ps` would keep
 * it. On a terminal it is asked for with the echo off; from a pipe or a file, the whole input is
 * one token, or "Bearer <token>".
 */

/** More than any token (a session token included) could be: a file piped by mistake. */
const MAX_INPUT = 16 * 1024

async function readPipe(stdin: Io['stdin'], name: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += bytes.length
    if (size > MAX_INPUT) {
      throw usageError(name, `stdin holds more than ${MAX_INPUT / 1024} KiB: pipe one token, nothing else.`)
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The line typed at the prompt, not echoed: node:readline in terminal mode (raw mode, line editing)
 * writing to a sink. Hand-written rather than npm's `read`, which never settles when the input
 * closes (Ctrl-D), leaving the command waiting for ever. Ctrl-D is no input; Ctrl-C cancels.
 */
function askHidden(io: Io, name: string, prompt: string): Promise<string> {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  io.stderr.write(prompt)
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: sink, terminal: true })
    let line = ''
    let canceled = false
    rl.on('line', (text) => {
      line = text
      rl.close()
    })
    rl.on('SIGINT', () => {
      canceled = true
      rl.close()
    })
    rl.on('close', () => {
      // The echo was off, Enter included: end the prompt's line.
      io.stderr.write('\n')
      if (!canceled) return resolve(line)
      reject(new CliError(EXIT.interrupted, `${name}: canceled; no token was read, and nothing was changed.`))
    })
  })
}

export async function readOneToken(io: Io, name: string, prompt: string): Promise<string> {
  let text: string
  if (io.stdin.isTTY) text = await askHidden(io, name, prompt)
  else text = await readPipe(io.stdin, name)
  const words = text.split(/\s+/).filter((word) => word !== '')
  if (words.length === 2 && /^bearer$/i.test(words[0] as string)) words.shift()
  if (words.length === 0) {
    throw usageError(
      name,
      'no token on stdin. Pipe one in (`printf %s "$TOKEN" | …`), or run it on a terminal to be asked.',
    )
  }
  if (words.length > 1)
    throw usageError(name, `stdin holds ${words.length} words: it takes exactly one token.`)
  return words[0] as string
}
