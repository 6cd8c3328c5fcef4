/** Every time decision in Keyward reads this; inject one in tests to drive time without sleeping. */
export type Clock = { now(): number }

export const systemClock: Clock = { now: () => Date.now() }
