import { daysBetween, formatDate, formatDateTime, ukDay, ukTime } from '../../server/dates'
import { levelLabel, levelName, levelNames } from '../../server/framework/levels'

describe('dates in UK time', () => {
  it('writes instants as UK wall-clock time, in GMT and in BST', () => {
    expect(formatDateTime(new Date('2026-12-13T17:00:00Z'))).toBe('13 December 2026 at 17:00')
    expect(formatDateTime(new Date('2026-06-13T16:00:00Z'))).toBe('13 June 2026 at 17:00')
    expect(formatDate(new Date('2026-06-30T23:30:00Z'))).toBe('1 July 2026')
  })

  it('turns a UK day and time into the instant: 5pm is 17:00 UTC in winter and 16:00 UTC in summer', () => {
    expect(ukTime('2026-12-19', 17).toISOString()).toBe('2026-12-19T17:00:00.000Z')
    expect(ukTime('2026-06-19', 17).toISOString()).toBe('2026-06-19T16:00:00.000Z')
    expect(ukTime('2026-06-19', 0).toISOString()).toBe('2026-06-18T23:00:00.000Z')
    // The days the clocks change: the time is on the clock of that moment.
    expect(ukTime('2026-03-29', 17).toISOString()).toBe('2026-03-29T16:00:00.000Z')
    expect(ukTime('2026-10-25', 17).toISOString()).toBe('2026-10-25T17:00:00.000Z')
  })

  it('knows the UK day of an instant, which is not the UTC day late on a summer evening', () => {
    expect(ukDay(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01')
    expect(ukDay(new Date('2026-12-31T23:30:00Z'))).toBe('2026-12-31')
    expect(daysBetween('2026-11-22', '2026-12-13')).toBe(21)
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2)
  })
})

describe('level names', () => {
  const scale = {
    levels: [
      { value: 1, name: 'Emerging' },
      { value: 2, name: 'Developing' },
      { value: 3, name: 'Maturing' },
      { value: 4, name: 'Thriving' },
    ],
  }

  it('writes a level by name, or with its number, one way everywhere', () => {
    expect(levelName(scale, 3)).toBe('Maturing')
    expect(levelLabel(scale, 3)).toBe('3 – Maturing')
    expect(levelLabel(scale, null, 'No level')).toBe('No level')
    expect(levelLabel(scale, undefined)).toBe('')
    expect(levelLabel(scale, 7)).toBe('7')
    expect(levelNames(scale)).toEqual({ 1: 'Emerging', 2: 'Developing', 3: 'Maturing', 4: 'Thriving' })
  })
})
