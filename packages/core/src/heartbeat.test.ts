import { describe, expect, it } from 'vitest'
import { Heartbeat, heartbeatSettings } from './heartbeat.js'
import { manualClock } from './testing/backends.js'

function heartbeat(sendWorks = true) {
  const clock = manualClock()
  const sent: string[] = []
  const events: string[] = []
  const beat = new Heartbeat(
    clock,
    { interval: 1000, timeout: 500 },
    {
      send: async (b) => {
        sent.push(b)
        if (!sendWorks) throw new Error('store away')
      },
      down: () => events.push('down'),
      up: () => events.push('up'),
    },
  )
  return { clock, sent, events, beat }
}

describe('heartbeat', () => {
  it('sends one per interval while its own come back, and says nothing', () => {
    const { clock, sent, events, beat } = heartbeat()
    beat.tick()
    expect(sent).toHaveLength(1)
    beat.received(sent[0] as string)
    clock.advance(999)
    beat.tick()
    expect(sent).toHaveLength(1)
    clock.advance(1)
    beat.tick()
    expect(sent).toHaveLength(2)
    beat.received(sent[1] as string)
    clock.advance(5000)
    beat.tick()
    expect(sent).toHaveLength(3)
    expect(events).toEqual([])
    expect(beat.isDown).toBe(false)
  })

  it('declares the channel down when its own does not come back in time, and up when one does', () => {
    const { clock, sent, events, beat } = heartbeat()
    beat.tick()
    clock.advance(499)
    beat.tick()
    expect(events).toEqual([])
    clock.advance(1)
    beat.tick()
    expect(events).toEqual(['down'])
    expect(beat.isDown).toBe(true)
    // The next one waits a whole interval (for the reconnection), then each one that does not come
    // back says so again (another reconnection).
    clock.advance(999)
    beat.tick()
    expect(sent).toHaveLength(1)
    clock.advance(1)
    beat.tick()
    expect(sent).toHaveLength(2)
    clock.advance(500)
    beat.tick()
    expect(events).toEqual(['down', 'down'])
    clock.advance(1000)
    beat.tick()
    beat.received(sent[2] as string)
    expect(events).toEqual(['down', 'down', 'up'])
    expect(beat.isDown).toBe(false)
  })

  it("ignores other processes' heartbeats", () => {
    const a = heartbeat()
    const b = heartbeat()
    a.beat.tick()
    b.beat.tick()
    a.beat.received(b.sent[0] as string)
    a.clock.advance(500)
    a.beat.tick()
    expect(a.events).toEqual(['down'])
    a.beat.received(b.sent[0] as string)
    expect(a.beat.isDown).toBe(true)
  })

  it('decides nothing from a heartbeat that could not be sent', async () => {
    const { clock, events, beat } = heartbeat(false)
    beat.tick()
    await Promise.resolve()
    await Promise.resolve()
    clock.advance(600)
    beat.tick()
    expect(events).toEqual([])
  })

  it('validates its options', () => {
    expect(heartbeatSettings(undefined)).toEqual({ interval: 15_000, timeout: 10_000 })
    expect(heartbeatSettings({ interval: '2s', timeout: 300 })).toEqual({ interval: 2000, timeout: 300 })
    expect(heartbeatSettings(false)).toBeNull()
    expect(() => heartbeatSettings({ every: '1s' } as never)).toThrow(/Unknown heartbeat option "every"/)
    expect(() => heartbeatSettings({ interval: 0 })).toThrow(/must be positive/)
    expect(() => heartbeatSettings(true as never)).toThrow(/heartbeat must be/)
  })
})
