import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const exampleDir = new URL('..', import.meta.url)
const guide = readFileSync(new URL('../../docs/existing-app.md', exampleDir), 'utf8')

/** The guide's code excerpts that name their file (`// src/…` as first line), with that file. */
const excerpts = [...guide.matchAll(/```ts\n\/\/ (src\/\S+)\n([\s\S]*?)```/g)].map(([, file, body]) => ({
  file: file as string,
  lines: (body as string)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== '// …'),
}))

describe('docs/existing-app.md', () => {
  it('quotes the example as it is: every excerpt line, in order, in the file it names', () => {
    expect(excerpts.length).toBeGreaterThanOrEqual(10)
    for (const { file, lines } of excerpts) {
      const source = readFileSync(new URL(file, exampleDir), 'utf8')
        .split('\n')
        .map((line) => line.trim())
      let at = 0
      for (const line of lines) {
        const found = source.indexOf(line, at)
        expect(found, `${file}: "${line}" (not found after line ${at + 1})`).toBeGreaterThanOrEqual(0)
        at = found + 1
      }
    }
  })
})
