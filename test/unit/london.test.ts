import { execFileSync } from 'node:child_process'
import path from 'node:path'
import {
  daysLeft,
  deadlineOn,
  formatCalendarDate,
  formatDate,
  formatDateTime,
  isRealDate,
  londonIsoDate,
  londonTime,
  nextDay,
  parseDateParts,
  parseIsoDate,
} from '../../server/time/london'

describe('London time', () => {
  it('ends a deadline day at 17:00 London time, summer or winter', () => {
    expect(deadlineOn({ year: 2021, month: 10, day: 29 }).toISOString()).toBe('2021-10-29T16:00:00.000Z') // BST
    expect(deadlineOn({ year: 2021, month: 11, day: 1 }).toISOString()).toBe('2021-11-01T17:00:00.000Z') // GMT
    expect(deadlineOn({ year: 2027, month: 7, day: 15 }).toISOString()).toBe('2027-07-15T16:00:00.000Z')
    expect(deadlineOn({ year: 2026, month: 12, day: 13 }).toISOString()).toBe('2026-12-13T17:00:00.000Z')
  })

  it('finds London midnight on the days the clocks change', () => {
    // 29 March 2026: clocks go forward at 01:00 UTC. Midnight that day is still GMT.
    expect(londonTime({ year: 2026, month: 3, day: 29 }).toISOString()).toBe('2026-03-29T00:00:00.000Z')
    expect(londonTime({ year: 2026, month: 3, day: 30 }).toISOString()).toBe('2026-03-29T23:00:00.000Z')
    // 25 October 2026: clocks go back at 01:00 UTC. Midnight that day is still BST.
    expect(londonTime({ year: 2026, month: 10, day: 25 }).toISOString()).toBe('2026-10-24T23:00:00.000Z')
    expect(londonTime({ year: 2026, month: 10, day: 26 }).toISOString()).toBe('2026-10-26T00:00:00.000Z')
  })

  it('counts days left in London days, not UTC days', () => {
    const deadline = deadlineOn({ year: 2027, month: 7, day: 15 })
    // 23:30 UTC on 13 July is 00:30 on 14 July in London: one day to go, not two.
    expect(daysLeft(deadline, new Date('2027-07-13T23:30:00Z'))).toBe(1)
    expect(daysLeft(deadline, new Date('2027-07-13T22:30:00Z'))).toBe(2)
    expect(daysLeft(deadline, new Date('2027-07-15T10:00:00Z'))).toBe(0)
    expect(daysLeft(deadline, new Date('2027-07-20T10:00:00Z'))).toBe(0)
  })

  it('formats instants in London time and date-only values as they are', () => {
    expect(formatDateTime(new Date('2021-10-29T16:00:00Z'))).toBe('29 October 2021 at 17:00')
    expect(formatDateTime(new Date('2027-01-05T09:05:00Z'))).toBe('5 January 2027 at 09:05')
    expect(formatDate(new Date('2027-07-13T23:30:00Z'))).toBe('14 July 2027')
    expect(formatCalendarDate('2027-03-31')).toBe('31 March 2027')
  })

  it('formats every instant of a minute alike, whatever was formatted before, across the clocks changing', () => {
    // Formatted once a minute (a save's time is a new millisecond each time): the seconds must not show through.
    for (const [instant, shown] of [
      ['2026-11-22T14:32:00.000Z', '22 November 2026 at 14:32'],
      ['2026-11-22T14:32:59.999Z', '22 November 2026 at 14:32'],
      ['2026-11-22T14:32:30.500Z', '22 November 2026 at 14:32'],
      ['2026-11-22T14:33:00.000Z', '22 November 2026 at 14:33'],
      // British Summer Time begins at 01:00 UTC on 29 March 2026, and ends at 01:00 UTC on 25 October.
      ['2026-03-29T00:59:59.999Z', '29 March 2026 at 00:59'],
      ['2026-03-29T01:00:00.001Z', '29 March 2026 at 02:00'],
      ['2026-10-25T00:59:30.000Z', '25 October 2026 at 01:59'],
      ['2026-10-25T01:00:30.000Z', '25 October 2026 at 01:00'],
      ['1969-12-31T23:59:59.999Z', '1 January 1970 at 00:59'],
    ] as const) {
      expect(formatDateTime(new Date(instant))).toBe(shown)
    }
  })

  it('gives the London day of an instant', () => {
    expect(londonIsoDate(new Date('2027-07-13T23:30:00Z'))).toBe('2027-07-14')
    expect(londonIsoDate(new Date('2027-01-13T23:30:00Z'))).toBe('2027-01-13')
  })

  it('accepts only real dates in the years people use here', () => {
    expect(isRealDate({ year: 2027, month: 2, day: 31 })).toBe(false)
    expect(isRealDate({ year: 2028, month: 2, day: 29 })).toBe(true)
    expect(isRealDate({ year: 2027, month: 2, day: 29 })).toBe(false)
    expect(parseIsoDate('2027-02-31')).toBeUndefined()
    expect(parseIsoDate('0000-11-01')).toBeUndefined()
    expect(parseIsoDate('0026-11-01')).toBeUndefined()
    expect(parseIsoDate('2027-02-28')).toEqual({ year: 2027, month: 2, day: 28 })
    expect(parseDateParts('1', '11', '0')).toBeUndefined()
    expect(parseDateParts('1', '11', '26')).toBeUndefined()
    expect(parseDateParts('1', '11', '')).toBeUndefined()
    expect(parseDateParts('1.5', '11', '2026')).toBeUndefined()
    expect(parseDateParts(' 1', '11 ', '2026')).toEqual({ year: 2026, month: 11, day: 1 })
    expect(nextDay({ year: 2026, month: 12, day: 31 })).toEqual({ year: 2027, month: 1, day: 1 })
    expect(nextDay({ year: 2028, month: 2, day: 28 })).toEqual({ year: 2028, month: 2, day: 29 })
  })

  // Jest keeps process.env to itself, so each zone runs the module in a real process with its own TZ.
  it.each(['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland'])('shows London time with the server in %s', (zone) => {
    const script = `
      const { deadlineOn, formatCalendarDate, formatDate, formatDateTime, londonIsoDate } = require('./server/time/london.ts')
      console.log(JSON.stringify({
        offset: new Date('2021-10-29T16:00:00Z').getTimezoneOffset(),
        baseline: formatDateTime(new Date('2021-10-29T16:00:00Z')),
        winter: formatDateTime(new Date('2026-12-13T17:00:00Z')),
        day: formatDate(new Date('2027-07-13T23:30:00Z')),
        isoDay: londonIsoDate(new Date('2027-07-13T23:30:00Z')),
        calendar: formatCalendarDate('2027-03-31'),
        deadline: deadlineOn({ year: 2027, month: 7, day: 15 }).toISOString(),
      }))`
    const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.join(__dirname, '../..'),
      env: { ...process.env, TZ: zone },
      encoding: 'utf8',
    })
    const result = JSON.parse(output) as Record<string, unknown>
    expect(result.offset).toBe({ UTC: 0, 'America/New_York': 240, 'Asia/Kolkata': -330, 'Pacific/Auckland': -780 }[zone])
    expect(result).toMatchObject({
      baseline: '29 October 2021 at 17:00',
      winter: '13 December 2026 at 17:00',
      day: '14 July 2027',
      isoDay: '2027-07-14',
      calendar: '31 March 2027',
      deadline: '2027-07-15T16:00:00.000Z',
    })
  })
})
