import type { Clock } from './clock.js'

/**
 * One warning line for the first failure of an outage, then at most one summary line per interval
 * (a store that is down fails every request: a line each would flood the log), and one line when it
 * works again.
 */
export class RateLimitedWarning {
  private failing = false
  private suppressed = 0
  private latest = ''
  private windowStart = 0

  constructor(
    private readonly options: {
      logger: { warn(message: string): void }
      clock: Clock
      /** Names the failing thing, e.g. `store`. */
      subject: string
      interval: number
    },
  ) {}

  /** A failure; `detail` says where and what (it must never hold a token). */
  failure(detail: string): void {
    const now = this.options.clock.now()
    if (!this.failing) {
      this.failing = true
      this.windowStart = now
      this.options.logger.warn(`${this.options.subject} error during ${detail}`)
      return
    }
    this.suppressed++
    this.latest = detail
    if (now - this.windowStart >= this.options.interval) this.summarize(now)
  }

  /** A success: ends the outage, with a last summary of what was not logged. */
  recovered(): void {
    if (!this.failing) return
    if (this.suppressed > 0) this.summarize(this.options.clock.now())
    this.failing = false
    this.options.logger.warn(`${this.options.subject} reachable again`)
  }

  private summarize(now: number) {
    const seconds = Math.max(1, Math.round((now - this.windowStart) / 1000))
    this.options.logger.warn(
      `${this.options.subject} unavailable: ${this.suppressed.toLocaleString('en-US')} more failure(s) in the last ${seconds} s (latest during ${this.latest})`,
    )
    this.suppressed = 0
    this.windowStart = now
  }
}
