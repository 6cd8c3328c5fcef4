import { describe, expect, it } from 'vitest'
import { DroppedUses } from './dropped-uses.js'

describe('DroppedUses', () => {
  it('keeps a due time still ahead until it is spent or forgotten', () => {
    const notes = new DroppedUses(10)
    notes.note('a', 2000, 1000)
    notes.note('b', 3000, 1000)
    notes.note('spent', 1000, 1000)
    expect(notes.dueAt('a')).toBe(2000)
    expect(notes.dueAt('spent')).toBeUndefined()
    notes.forget('b')
    expect(notes.dueAt('b')).toBeUndefined()
    // The next note sweeps the spent ones off the front.
    notes.note('c', 5000, 2500)
    expect(notes.dueAt('a')).toBeUndefined()
    expect(notes.dueAt('c')).toBe(5000)
  })

  it('holds at most max notes, dropping the oldest', () => {
    const notes = new DroppedUses(2)
    notes.note('a', 2000, 0)
    notes.note('b', 2001, 0)
    notes.note('c', 2002, 0)
    expect(notes.dueAt('a')).toBeUndefined()
    expect([notes.dueAt('b'), notes.dueAt('c')]).toEqual([2001, 2002])
  })
})
