import { read } from 'read'
import { usageError } from './args.js'
import type { Io } from './io.js'

/**
 * One token, read from stdin: never from the command line, where shell history and `ps` would keep
 * it. On a terminal it is asked for with the echo off (npm's `read`, which handles raw mode and
 * Ctrl-C); from a pipe or a file, the whole input is one token, or "Bearer <token>".
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

export async function readOneToken(io: Io, name: string, prompt: string): Promise<string> {
  let text: string
  if (io.stdin.isTTY) {
    text = await read({ prompt, silent: true, replace: '', input: io.stdin, output: io.stderr })
    // The echo was off, Enter included: end the prompt's line.
    io.stderr.write('\n')
  } else text = await readPipe(io.stdin, name)
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
