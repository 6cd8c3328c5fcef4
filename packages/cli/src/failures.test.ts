import { KEYWARD_ERROR_CODES, KeywardError, type KeywardErrorCode } from '@keyward/core'
import { describe, expect, it } from 'vitest'
import { CliError } from './cli-error.js'
import { EXIT } from './exit-codes.js'
import { describeFailure } from './failures.js'

const EXPECTED: Record<KeywardErrorCode, number> = {
  invalid_option: EXIT.config,
  invalid_argument: EXIT.usage,
  unknown_scope: EXIT.usage,
  invalid_scope: EXIT.usage,
  token_not_found: EXIT.refused,
  token_not_active: EXIT.refused,
  too_many_tokens: EXIT.refused,
  store_error: EXIT.unavailable,
  invalidation_unconfirmed: EXIT.unavailable,
  closed: EXIT.unavailable,
  unsupported: EXIT.config,
}

describe('describeFailure', () => {
  it('maps every KeywardError code to an exit code, keeping the core message and adding a hint', () => {
    for (const code of Object.keys(KEYWARD_ERROR_CODES) as KeywardErrorCode[]) {
      const failure = describeFailure(new KeywardError(code, `core says ${code}`))
      expect(failure.exitCode, code).toBe(EXPECTED[code])
      expect(failure.message).toBe(`core says ${code}`)
      if (code !== 'invalid_argument') expect(failure.hint, code).toMatch(/\S/)
    }
  })

  it('names the flag behind an option the core refuses', () => {
    const failure = describeFailure(
      new KeywardError('invalid_argument', 'expiresIn takes a duration; got "soon".'),
    )
    expect(failure).toEqual({
      exitCode: 2,
      message: 'expiresIn takes a duration; got "soon".',
      hint: 'Fix --expires-in on the command line; nothing was changed.',
    })
    expect(describeFailure(new KeywardError('invalid_argument', 'gracePeriod must be …')).hint).toContain(
      '--grace',
    )
  })

  it('passes the CLI’s own failures through', () => {
    expect(describeFailure(new CliError(EXIT.config, 'no config', { hint: 'add one' }))).toEqual({
      exitCode: 3,
      message: 'no config',
      hint: 'add one',
    })
  })

  it('reports anything else as exit 4, first line only, with its code and --debug as the way on', () => {
    const error = Object.assign(new Error('connect failed\n    at somewhere'), { code: 'ECONNREFUSED' })
    expect(describeFailure(error)).toEqual({
      exitCode: 4,
      message: 'ECONNREFUSED: connect failed',
      hint: 'Run again with --debug to see where it failed.',
    })
  })

  it('never repeats a token a message happens to hold', () => {
    const token = `clitest_${'A'.repeat(22)}_${'Z'.repeat(49)}`
    expect(describeFailure(new Error(`bad ${token}`)).message).toBe('bad [token]')
    expect(describeFailure(new CliError(2, `bad ${token}`)).message).toBe('bad [token]')
  })
})
