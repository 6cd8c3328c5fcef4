import { randomBytes } from 'node:crypto'
import { withTimeout } from './timeout.js'

/**
 * Probes of the invalidation channel, for `kw.doctor()`: a heartbeat message of their own, sent
 * through the bus as any invalidation is (signed, published, delivered back by the subscription),
 * and awaited. One that comes back proves that this process's invalidations go out and arrive.
 * Other processes ignore it as they ignore each other's heartbeats.
 */
export class BusProbes {
  readonly #stem = `probe.${randomBytes(6).toString('base64url')}`
  #count = 0
  readonly #waiting = new Map<string, () => void>()

  /** A heartbeat from the channel: one of these probes is done; anything else is ignored. */
  received(beat: string): void {
    const done = this.#waiting.get(beat)
    if (done === undefined) return
    this.#waiting.delete(beat)
    done()
  }

  /**
   * Publishes one probe with `publish` and resolves once it is published and back; rejects with
   * the publication's error, or a timeout after `timeoutMs`. Leaves no timer behind.
   */
  async roundTrip(publish: (beat: string) => Promise<void>, timeoutMs: number): Promise<void> {
    const beat = `${this.#stem}.${(this.#count++).toString(36)}`
    const back = new Promise<void>((resolve) => this.#waiting.set(beat, resolve))
    try {
      await withTimeout(Promise.all([publish(beat), back]), timeoutMs)
    } finally {
      this.#waiting.delete(beat)
    }
  }
}
