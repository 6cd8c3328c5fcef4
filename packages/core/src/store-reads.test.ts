import { describe, expect, it } from 'vitest'
import { isReadRefusal, StoreReads } from './store-reads.js'
import { manualClock } from './testing/backends.js'
import { TIMEOUT } from './timeout.js'

/** A read the test settles by hand, recording the signal it was given. */
function pending<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  let signal: AbortSignal | undefined
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  const work = (s: AbortSignal) => {
    signal = s
    return promise
  }
  return { work, resolve, reject, signal: () => signal }
}

const refusalOf = async (read: Promise<unknown>) => {
  try {
    await read
  } catch (error) {
    return isReadRefusal(error) ? error.reason : `other: ${(error as Error).name}`
  }
  return 'none'
}

describe('StoreReads', () => {
  it('refuses past maxInFlight at once, and frees a slot only when the read settles', async () => {
    const reads = new StoreReads({ maxInFlight: 2 }, { clock: manualClock(), timeout: 0 })
    const a = pending<number>()
    const b = pending<number>()
    const first = reads.read(a.work)
    const second = reads.read(b.work)
    expect(await refusalOf(reads.read(async () => 3))).toBe('overloaded')
    expect(reads.stats).toMatchObject({ inFlight: 2, peakInFlight: 2, overloaded: 1 })
    a.resolve(1)
    expect(await first).toBe(1)
    expect(await reads.read(async () => 3)).toBe(3)
    b.resolve(2)
    await second
    expect(reads.stats.inFlight).toBe(0)
  })

  it('a timed-out read answers at once, is aborted, and keeps its slot until it settles', async () => {
    const reads = new StoreReads({ maxInFlight: 1 }, { clock: manualClock(), timeout: 10 })
    const stuck = pending<number>()
    const read = reads.read(stuck.work)
    await expect(read).rejects.toMatchObject({ name: TIMEOUT })
    expect(stuck.signal()?.aborted).toBe(true)
    expect(reads.stats).toMatchObject({ inFlight: 1, timeouts: 1, failures: 1 })
    expect(await refusalOf(reads.read(async () => 1))).toBe('overloaded')
    stuck.reject(new Error('canceling statement due to user request'))
    await Promise.resolve()
    expect(reads.stats.inFlight).toBe(0)
    expect(await reads.read(async () => 1)).toBe(1)
  })

  it('opens after consecutive failures, refuses without I/O during the cool-down, then one probe closes it', async () => {
    const clock = manualClock()
    const successes: number[] = []
    const reads = new StoreReads(
      { failureThreshold: 3, coolDown: '1s' },
      { clock, timeout: 0, onSuccess: () => successes.push(clock.now()) },
    )
    const fail = () => reads.read(() => Promise.reject(new Error('down')))
    await expect(fail()).rejects.toThrow('down')
    await expect(reads.read(async () => 1)).resolves.toBe(1) // a success resets the count
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow('down')
    expect(reads.stats).toMatchObject({ breaker: 'open', opened: 1 })
    let touched = 0
    const counted = () => reads.read(async () => ++touched)
    expect(await refusalOf(counted())).toBe('open')
    clock.advance(999)
    expect(await refusalOf(counted())).toBe('open')
    expect(touched).toBe(0)
    expect(reads.stats.refused).toBe(2)

    clock.advance(1)
    const probe = pending<number>()
    const probing = reads.read(probe.work)
    expect(reads.stats.breaker).toBe('half-open')
    expect(await refusalOf(counted())).toBe('open') // one probe at a time
    probe.resolve(7)
    expect(await probing).toBe(7)
    expect(reads.stats.breaker).toBe('closed')
    expect(await counted()).toBe(1)
    expect(successes.length).toBe(3)
  })

  it('a failed or timed-out probe opens the breaker for another cool-down', async () => {
    const clock = manualClock()
    const reads = new StoreReads({ failureThreshold: 1, coolDown: 500 }, { clock, timeout: 10 })
    await expect(reads.read(() => Promise.reject(new Error('down')))).rejects.toThrow('down')
    clock.advance(500)
    const stuck = pending<number>()
    await expect(reads.read(stuck.work)).rejects.toMatchObject({ name: TIMEOUT })
    expect(reads.stats).toMatchObject({ breaker: 'open', opened: 2 })
    // The probe's late answer closes nothing.
    stuck.resolve(1)
    await Promise.resolve()
    expect(reads.stats.breaker).toBe('open')
    clock.advance(499)
    expect(await refusalOf(reads.read(async () => 1))).toBe('open')
    clock.advance(1)
    expect(await reads.read(async () => 2)).toBe(2)
    expect(reads.stats.breaker).toBe('closed')
  })

  it('a read that started before the breaker opened does not close it', async () => {
    const clock = manualClock()
    const reads = new StoreReads({ failureThreshold: 1 }, { clock, timeout: 0 })
    const early = pending<number>()
    const started = reads.read(early.work)
    await expect(reads.read(() => Promise.reject(new Error('down')))).rejects.toThrow()
    early.resolve(1)
    await started
    expect(reads.stats.breaker).toBe('open')
  })

  it('a read that throws synchronously is a failure, not a crash', async () => {
    const reads = new StoreReads({}, { clock: manualClock(), timeout: 0 })
    await expect(
      reads.read(() => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expect(reads.stats).toMatchObject({ inFlight: 0, failures: 1 })
  })

  it('validates its options up front', () => {
    const context = { clock: manualClock(), timeout: 0 }
    expect(() => new StoreReads({ maxInFlight: 0 }, context)).toThrow(/storeReads.maxInFlight/)
    expect(() => new StoreReads({ failureThreshold: 1.5 }, context)).toThrow(/failureThreshold/)
    expect(() => new StoreReads({ coolDown: 'soon' as never }, context)).toThrow(/coolDown/)
    expect(() => new StoreReads({ max: 1 } as never, context)).toThrow(/unknown option "max"/)
  })
})
