import { describe, expect, it } from 'vitest'
import { createEventHub, EVENT_TYPES, eventOf, type KeywardEvent } from './events.js'

const bumped = (version: number) =>
  eventOf('session.bumped', 1000, {
    userId: 'u1',
    version,
    actor: { kind: 'admin', id: null, address: null, userAgent: null },
  })

describe('the event hub', () => {
  it('calls the listeners of a type in registration order, synchronously, with a frozen event', () => {
    const warnings: string[] = []
    const hub = createEventHub({ logger: { warn: (m) => warnings.push(m) } })
    const seen: string[] = []
    hub.events.on('session.bumped', (event) => {
      seen.push(`first ${event.version}`)
    })
    hub.events.on('session.bumped', (event) => {
      seen.push(`second ${event.version}`)
    })
    hub.events.on('token.created', () => {
      seen.push('not this one')
    })
    const event = bumped(3)
    hub.emit(event)
    expect(seen).toEqual(['first 3', 'second 3'])
    expect(Object.isFrozen(event)).toBe(true)
    expect(event).toMatchObject({ type: 'session.bumped', at: new Date(1000) })
    expect(hub.stats).toEqual({ emitted: 1, listenerErrors: 0 })
    expect(warnings).toEqual([])
  })

  it('isolates a listener that throws or rejects: logged, counted, the others still called', async () => {
    const warnings: string[] = []
    const hub = createEventHub({ logger: { warn: (m) => warnings.push(m) } })
    const seen: number[] = []
    hub.events.on('session.bumped', () => {
      throw new TypeError('listener bug\nsecond line')
    })
    hub.events.on('session.bumped', async () => {
      throw new Error('async listener bug')
    })
    hub.events.on('session.bumped', (event) => {
      seen.push(event.version)
    })
    expect(() => hub.emit(bumped(1))).not.toThrow()
    expect(seen).toEqual([1])
    await new Promise((resolve) => setImmediate(resolve))
    expect(hub.stats).toEqual({ emitted: 1, listenerErrors: 2 })
    expect(warnings).toEqual([
      'a listener of session.bumped failed (TypeError: listener bug)',
      'a listener of session.bumped failed (Error: async listener bug)',
    ])
  })

  it('unsubscribes (once, idempotently) and tells who listens', () => {
    const hub = createEventHub({ logger: { warn: () => {} } })
    const counts: Array<[string, number]> = []
    hub.listenersChanged.on((type, count) => counts.push([type, count]))
    const seen: KeywardEvent[] = []
    expect(hub.has('session.bumped')).toBe(false)
    const off = hub.events.on('session.bumped', (event) => {
      seen.push(event)
    })
    // The same function twice is two subscriptions, each with its own off.
    const listener = () => {}
    const offA = hub.events.on('auth.failures', listener)
    const offB = hub.events.on('auth.failures', listener)
    expect(hub.has('session.bumped')).toBe(true)
    hub.emit(bumped(1))
    off()
    off()
    hub.emit(bumped(2))
    expect(seen.map((event) => event.type)).toEqual(['session.bumped'])
    expect(hub.has('session.bumped')).toBe(false)
    offA()
    expect(hub.has('auth.failures')).toBe(true)
    offB()
    expect(counts).toEqual([
      ['session.bumped', 1],
      ['auth.failures', 1],
      ['auth.failures', 2],
      ['session.bumped', 0],
      ['auth.failures', 1],
      ['auth.failures', 0],
    ])
  })

  it('refuses an unknown type or a listener that is not a function', () => {
    const hub = createEventHub({ logger: { warn: () => {} } })
    expect(() => hub.events.on('token.deleted' as never, () => {})).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        message: expect.stringMatching(/"token.deleted"/),
      }),
    )
    expect(() => hub.events.on('token.created', 'log' as never)).toThrow(/must be a function/)
    expect(EVENT_TYPES).toHaveLength(10)
  })
})
