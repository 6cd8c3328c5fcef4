import { describe, expect, it } from 'vitest'
import { captureIo } from '../fixtures/capture-io.js'
import { colorsOn, createOutput } from './io.js'
import { looksLikeToken, maskUrl, redactTokens } from './redact.js'
import { cleanCell, formatPairs, formatTable } from './table.js'

const SENTINEL = `clitest_${'A'.repeat(22)}_${'Z'.repeat(49)}`
const SESSION = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXBhcnQ'

describe('tables', () => {
  it('pads columns to their widest cell, upper-case headers, last column unpadded', () => {
    const table = formatTable(
      [
        { header: 'id', cell: (r: { id: string; name: string }) => r.id },
        { header: 'name', cell: (r: { id: string; name: string }) => r.name },
      ],
      [
        { id: 'a', name: 'first' },
        { id: 'bbbb', name: 'x' },
      ],
    )
    expect(table).toBe('ID    NAME\na     first\nbbbb  x')
  })

  it('shows control characters as ? and cuts long cells, so stored text cannot forge lines', () => {
    expect(cleanCell('evil\nname\u001b[31m')).toBe('evil?name?[31m')
    expect(cleanCell('x'.repeat(60))).toBe(`${'x'.repeat(47)}…`)
    expect(cleanCell('x'.repeat(60), 100)).toBe('x'.repeat(60))
    expect(
      formatPairs([
        ['id', 'a'],
        ['name', 'b\rc'],
      ]),
    ).toBe('id    a\nname  b?c')
  })
})

describe('output', () => {
  it('colours only a terminal without NO_COLOR or TERM=dumb', () => {
    expect(colorsOn({ isTTY: true } as never, {})).toBe(true)
    expect(colorsOn({ isTTY: false } as never, {})).toBe(false)
    expect(colorsOn({ isTTY: true } as never, { NO_COLOR: '1' })).toBe(false)
    expect(colorsOn({ isTTY: true } as never, { TERM: 'dumb' })).toBe(false)
    const { io } = captureIo({ tty: true, env: { NO_COLOR: '1' } })
    expect(createOutput(io, { quiet: false }).paintOut('red', 'x')).toBe('x')
    const coloured = captureIo({ tty: true })
    expect(createOutput(coloured.io, { quiet: false }).paintErr('red', 'x')).not.toBe('x')
  })

  it('writes results to stdout and messages to stderr; --quiet silences info, not warnings', () => {
    const { io, written } = captureIo()
    const output = createOutput(io, { quiet: true })
    output.out('result')
    output.json({ at: new Date(Date.UTC(2030, 0, 1)) })
    output.info('hidden')
    output.warn('shown')
    expect(written.stdout).toBe('result\n{\n  "at": "2030-01-01T00:00:00.000Z"\n}\n')
    expect(written.stderr).toBe('shown\n')
  })

  it('never lets a token through to stderr; stdout carries the new token as it is', () => {
    const { io, written } = captureIo()
    const output = createOutput(io, { quiet: false })
    output.info(`got ${SENTINEL} and ${SESSION}`)
    output.warn(`again: ${SENTINEL}`)
    output.out(SENTINEL)
    expect(written.stderr).toBe('got [token] and [token]\nagain: [token]\n')
    expect(written.stdout).toBe(`${SENTINEL}\n`)
  })
})

describe('redaction helpers', () => {
  it('recognise whole tokens, PAT or session', () => {
    expect(looksLikeToken(SENTINEL)).toBe(true)
    expect(looksLikeToken(SESSION)).toBe(true)
    expect(looksLikeToken('3fK9x2Lm0pQrStUvWxYz01')).toBe(false)
    expect(redactTokens(`a ${SENTINEL} b`)).toBe('a [token] b')
  })

  it('mask the password and query of a database URL', () => {
    expect(maskUrl('postgres://app:s3cret@db:5432/prod?sslmode=require&password=x')).toBe(
      'postgres://app:***@db:5432/prod?…',
    )
    expect(maskUrl('postgres://db/prod')).toBe('postgres://db/prod')
    expect(maskUrl('not a url')).toBe('not a url')
  })

  it('mask the password of a URL that does not parse (a bad port, a broken host), and its query', () => {
    expect(maskUrl('postgres://app:s3cret@127.0.0.1:99999/db')).toBe('postgres://app:***@127.0.0.1:99999/db')
    expect(maskUrl('postgres://app:s3:cr@et@[bad/db?password=x')).toBe('postgres://app:***@[bad/db?…')
    expect(maskUrl('redis://:s3cret@[bad')).toBe('redis://:***@[bad')
  })
})
