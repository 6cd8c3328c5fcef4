import { PassThrough, Readable, Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CliError } from './cli-error.js'
import type { Io } from './io.js'
import { readOneToken } from './token-input.js'

const SENTINEL = `clitest_${'A'.repeat(22)}_${'Z'.repeat(49)}`

function terminal(stdin: NodeJS.ReadableStream & { isTTY?: boolean }) {
  let prompt = ''
  const stderr = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        prompt += String(chunk)
        done()
      },
    }),
    { isTTY: true },
  )
  const io: Io = { stdin, stderr, stdout: stderr, env: {}, cwd: '/' }
  return { io, written: () => prompt }
}

const piped = (text: string) => terminal(Readable.from([Buffer.from(text)])).io

async function refusal(io: Io): Promise<CliError> {
  const error = await readOneToken(io, 'keyward check', 'Token: ').then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CliError)
  expect((error as CliError).exitCode).toBe(2)
  return error as CliError
}

describe('readOneToken', () => {
  it('takes the one token of a pipe, with or without a newline or a Bearer scheme', async () => {
    expect(await readOneToken(piped(`${SENTINEL}\n`), 'keyward check', 'Token: ')).toBe(SENTINEL)
    expect(await readOneToken(piped(`  Bearer ${SENTINEL}`), 'keyward check', 'Token: ')).toBe(SENTINEL)
  })

  it('refuses nothing, two tokens, or more than 16 KiB, without echoing them', async () => {
    expect((await refusal(piped(' \n'))).message).toContain('no token on stdin')
    const two = await refusal(piped(`${SENTINEL}\n${SENTINEL}`))
    expect(two.message).toBe('keyward check: stdin holds 2 words: it takes exactly one token.')
    expect((await refusal(piped('x'.repeat(17 * 1024)))).message).toContain('more than 16 KiB')
  })

  it('on a terminal, Ctrl-D on an empty line is no token (exit 2), and Ctrl-C cancels (exit 130)', async () => {
    const typed = async (keys: string) => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin })
      const reading = readOneToken(terminal(stdin).io, 'keyward check', 'Token: ')
      stdin.write(keys)
      const error = await reading.then(
        () => null,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(CliError)
      return error as CliError
    }
    const closed = await typed('\x04')
    expect(closed.exitCode).toBe(2)
    expect(closed.message).toContain('no token')
    const canceled = await typed(`${SENTINEL.slice(0, 10)}\x03`)
    expect(canceled.exitCode).toBe(130)
    expect(canceled.message).toBe('keyward check: canceled; no token was read, and nothing was changed.')
  })

  it('on a terminal, asks on stderr with the echo off', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin })
    const { io, written } = terminal(stdin)
    const reading = readOneToken(io, 'keyward check', 'Token to check (input hidden): ')
    stdin.write(`${SENTINEL}\n`)
    expect(await reading).toBe(SENTINEL)
    expect(written()).toContain('Token to check (input hidden): ')
    expect(written()).not.toContain(SENTINEL)
  })
})
