import type { OutStream } from './io.js'

/**
 * A progress bar on stderr for long work (purging rows, migrating a big table): drawn only when
 * stderr is a terminal, silent otherwise, so that logs and pipes get no carriage returns.
 * Hand-written: it is one line redrawn with `\r`, and it must start no timer of its own (the
 * process exits by itself when the work is done); the bar libraries redraw on an interval.
 */
export type Progress = {
  /** `done` more units finished. */
  advance(done?: number): void
  /** The total is known now, or changed (null: unknown, a counter is shown instead of a bar). */
  setTotal(total: number | null): void
  /** The work stands at `done` of `total`: what the core's `onProgress(done, total)` reports. */
  update(done: number, total: number | null): void
  /** Draws the final state and ends the line (a no-op when silent). */
  finish(): void
  /** Whether anything is drawn at all. */
  readonly visible: boolean
}

export type ProgressOptions = {
  label: string
  total?: number | null
  /** Draw even when the stream is a terminal? false with --quiet. Default true. */
  enabled?: boolean
  /** Milliseconds between redraws (default 100); the clock is injectable for tests. */
  interval?: number
  now?: () => number
}

const BAR_WIDTH = 24

export function renderProgress(label: string, done: number, total: number | null): string {
  if (total === null || total <= 0) return `${label} ${done}`
  const ratio = Math.min(1, done / total)
  const filled = Math.round(ratio * BAR_WIDTH)
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`
  return `${label} [${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total}`
}

export function createProgress(stream: OutStream, options: ProgressOptions): Progress {
  const visible = (options.enabled ?? true) && stream.isTTY === true
  const now = options.now ?? Date.now
  const interval = options.interval ?? 100
  let total = options.total ?? null
  let done = 0
  let drawnAt = Number.NEGATIVE_INFINITY
  let finished = false
  // `\r` back to the line start, `\x1b[K` clears what a longer previous line left.
  const draw = () => {
    drawnAt = now()
    stream.write(`\r${renderProgress(options.label, done, total)}\x1b[K`)
  }
  const advance = (by = 1) => {
    done += by
    if (visible && !finished && now() - drawnAt >= interval) draw()
  }
  return {
    visible,
    advance,
    setTotal(next) {
      total = next
    },
    update(at, next) {
      total = next
      advance(at - done)
    },
    finish() {
      if (!visible || finished) return
      finished = true
      draw()
      stream.write('\n')
    },
  }
}
