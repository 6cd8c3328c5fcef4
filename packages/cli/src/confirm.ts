import { createInterface } from 'node:readline'
import type { Io } from './io.js'

/**
 * A yes-or-no question on the terminal, asked on stderr (stdout stays the result); only `y` or
 * `yes` is a yes. On node:readline (as the token prompt, token-input.ts): a closed input (Ctrl-D)
 * or Ctrl-C is a no, and never leaves the command waiting.
 */
export function confirm(io: Io, question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({
      input: io.stdin,
      output: io.stderr,
      terminal: io.stdin.isTTY === true && io.stderr.isTTY === true,
    })
    let answer: boolean | null = null
    rl.on('line', (line) => {
      answer = /^\s*y(es)?\s*$/i.test(line)
      rl.close()
    })
    rl.on('SIGINT', () => rl.close())
    rl.on('close', () => {
      if (answer === null) io.stderr.write('\n')
      resolve(answer ?? false)
    })
    rl.setPrompt(`${question} [y/N] `)
    rl.prompt()
  })
}
