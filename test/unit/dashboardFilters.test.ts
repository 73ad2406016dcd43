import { isFiltered, parseFilters, queryOf } from '../../server/dashboard/filters'

const known = { domainCodes: ['AV', 'LC', 'DD', 'GV'], readinessLevels: [1, 2, 3], placeIds: [4, 7, 9] }

describe('the dashboard filters', () => {
  it('reads what the GET form and the sort links send', () => {
    expect(parseFilters({ domain: 'DD', readiness: ['1', '3'], place: ['9', '4'], sort: 'domain:GV', compare: '7' }, known)).toEqual({
      domain: 'DD',
      readiness: [1, 3],
      places: [4, 9],
      sort: 'domain:GV',
      compare: 7,
    })
  })

  it('ignores anything that names nothing real, rather than refusing the page', () => {
    expect(
      parseFilters({ domain: 'XX', readiness: ['0', '4', 'x'], place: ['5', '-1', '4.5'], sort: 'domain:ZZ', compare: '5' }, known),
    ).toEqual({
      domain: null,
      readiness: [],
      places: [],
      sort: 'place',
      compare: null,
    })
    expect(parseFilters({ domain: ['AV', 'LC'], sort: ['readiness'] }, known)).toEqual({
      domain: null,
      readiness: [],
      places: [],
      sort: 'place',
      compare: null,
    })
  })

  it('writes the same filters back as a query string, changing only what is asked', () => {
    const filters = parseFilters({ domain: 'AV', readiness: '2', place: ['7'] }, known)
    expect(queryOf(filters)).toBe('?domain=AV&readiness=2&place=7')
    expect(queryOf(filters, { sort: 'readiness' })).toBe('?domain=AV&readiness=2&place=7&sort=readiness')
    expect(parseFilters(Object.fromEntries(new URLSearchParams(queryOf(filters, { sort: 'domain:LC' }))), known).sort).toBe('domain:LC')
    expect(queryOf(parseFilters({}, known))).toBe('')
    expect(isFiltered(parseFilters({}, known))).toBe(false)
    expect(isFiltered(parseFilters({ sort: 'readiness' }, known))).toBe(false)
    expect(isFiltered(filters)).toBe(true)
  })
})
