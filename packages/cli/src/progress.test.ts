import { describe, expect, it } from 'vitest'
import { createProgress, renderProgress } from './progress.js'

function stream(isTTY: boolean) {
  const writes: string[] = []
  return { writes, stream: { isTTY, write: (text: string) => writes.push(text) > 0 } as never }
}

describe('progress bar', () => {
  it('renders a bar with a percentage, or a counter without a total', () => {
    expect(renderProgress('purge', 50, 200)).toBe('purge [######------------------]  25% 50/200')
    expect(renderProgress('purge', 250, 200)).toBe('purge [########################] 100% 250/200')
    expect(renderProgress('purge', 7, null)).toBe('purge 7')
  })

  it('is silent when stderr is not a terminal', () => {
    const { writes, stream: s } = stream(false)
    const progress = createProgress(s, { label: 'migrate', total: 10 })
    progress.advance(5)
    progress.finish()
    expect(progress.visible).toBe(false)
    expect(writes).toEqual([])
  })

  it('is silent when disabled (--quiet), even on a terminal', () => {
    const { writes, stream: s } = stream(true)
    const progress = createProgress(s, { label: 'migrate', total: 10, enabled: false })
    progress.advance()
    progress.finish()
    expect(writes).toEqual([])
  })

  it('redraws one line at most once per interval, then ends it once', () => {
    let now = 0
    const { writes, stream: s } = stream(true)
    const progress = createProgress(s, { label: 'purge', total: 4, now: () => now, interval: 100 })
    progress.advance()
    progress.advance()
    now = 150
    progress.advance()
    progress.finish()
    progress.finish()
    expect(writes).toEqual([
      '\rpurge [######------------------]  25% 1/4\u001b[K',
      '\rpurge [##################------]  75% 3/4\u001b[K',
      '\rpurge [##################------]  75% 3/4\u001b[K',
      '\n',
    ])
  })

  it('takes a total learnt later', () => {
    const { writes, stream: s } = stream(true)
    const progress = createProgress(s, { label: 'purge', now: () => 0 })
    progress.advance(3)
    progress.setTotal(6)
    progress.finish()
    expect(writes[0]).toBe('\rpurge 3\u001b[K')
    expect(writes[1]).toBe('\rpurge [############------------]  50% 3/6\u001b[K')
  })

  it('follows the core’s onProgress(done, total) with update', () => {
    const { writes, stream: s } = stream(true)
    const progress = createProgress(s, { label: 'purge', now: () => 0, interval: 0 })
    progress.update(0, 4)
    progress.update(3, 4)
    progress.update(5, 5)
    expect(writes).toEqual([
      '\rpurge [------------------------]   0% 0/4\u001b[K',
      '\rpurge [##################------]  75% 3/4\u001b[K',
      '\rpurge [########################] 100% 5/5\u001b[K',
    ])
  })
})
