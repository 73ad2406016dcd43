import { linesNotUtf8, readCsv } from '../../server/imports/csvText'
import {
  PartnerImportChecker,
  checkHeader,
  nameKey,
  organisationKey,
  sortProblems,
  type Directory,
  type ImportProblem,
} from '../../server/imports/partnersCsv'
import { parseOrganisationKind } from '../../server/organisations/kinds'

const header = 'Place,Organisation,Organisation type,Contact name,Contact email'

function directory(): Directory {
  return {
    places: new Map([
      [nameKey('Wirral'), { id: 1, name: 'Wirral', retired: false }],
      [nameKey('Old Town'), { id: 2, name: 'Old Town', retired: true }],
    ]),
    organisations: new Map([
      [organisationKey('Wirral', 'Wirral Council'), { id: 10, name: 'Wirral Council', kind: 'council', retired: false }],
      [organisationKey('Wirral', 'Closed Trust'), { id: 11, name: 'Closed Trust', kind: 'acute_trust', retired: true }],
    ]),
    contacts: new Set(['10\u0000known@example.org']),
  }
}

function check(csv: string): { problems: ImportProblem[]; checker: PartnerImportChecker } {
  const read = readCsv(Buffer.from(csv, 'utf8'))
  const [head, ...rows] = read.records
  expect(checkHeader(head)).toEqual([])
  const checker = new PartnerImportChecker(directory(), { withProblemsColumn: false, notUtf8Lines: read.notUtf8Lines })
  checker.declarePlaces(rows)
  checker.check(rows)
  return { problems: sortProblems(checker.problems), checker }
}

describe('reading CSV bytes', () => {
  it('gives each record the line it starts on, across quoted line breaks', () => {
    const read = readCsv(Buffer.from('\uFEFFa,b\n"x\ny",2\n\nlast,row\n'))
    expect(read.records.map((r) => [r.line, r.cells])).toEqual([
      [1, ['a', 'b']],
      [2, ['x\ny', '2']],
      [4, ['']],
      [5, ['last', 'row']],
    ])
    expect(read.notUtf8Lines).toEqual([])
  })

  it('finds every line that is not UTF-8, and still reads the file', () => {
    const bytes = Buffer.concat([
      Buffer.from('ok,line\ncaf'),
      Buffer.from([0xe9]),
      Buffer.from(',x\nfine,€\nbad'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ])
    expect(linesNotUtf8(bytes)).toEqual([2, 4])
    expect(readCsv(bytes).records).toHaveLength(4)
  })

  it('accepts valid multi-byte text and rejects overlong and surrogate encodings', () => {
    expect(linesNotUtf8(Buffer.from('Ysbyty Gwynedd – “Môn” 😀\n'))).toEqual([])
    expect(linesNotUtf8(Buffer.from([0xc0, 0xaf]))).toEqual([1])
    expect(linesNotUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toEqual([1])
  })

  it('reports a quote left open at its line, keeping the records before it', () => {
    const read = readCsv(Buffer.from('a,b\nc,d\n"open,e\nf,g\n'))
    expect(read.syntaxProblem).toEqual({ line: 3, message: expect.stringContaining('never closed') })
    expect(read.records.map((r) => r.cells)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
  })
})

describe('the header row', () => {
  it('must name the five columns, in any case, optionally with the problems column', () => {
    expect(checkHeader({ line: 1, cells: ['place', 'ORGANISATION', 'organisation_type', 'Contact name', 'contact email'] })).toEqual([])
    expect(checkHeader({ line: 1, cells: [...header.split(','), 'Problems'] })).toEqual([])
    expect(checkHeader({ line: 1, cells: ['Organisation', 'Place'] })).toEqual([
      expect.objectContaining({ line: 1, column: null, message: expect.stringContaining('must name the columns') }),
    ])
    expect(checkHeader(undefined)).toHaveLength(1)
  })
})

describe('checking partner import rows', () => {
  it('plans exactly what a clean file adds, whatever order its rows come in', () => {
    const { problems, checker } = check(
      [
        header,
        'Northfield,Northfield Council,Local authority,Ann Able,Ann.Able@Example.org',
        'Northfield,Northfield Council,,Bob Brown,bob@example.org',
        'Northfield,,,,',
        'Wirral,Wirral Council,local authority,New Person,new@example.org',
        'Wirral,Wirral Carers,VCSE,,',
        '  ,  ,,,',
      ].join('\n'),
    )
    expect(problems).toEqual([])
    expect(checker.plan).toEqual({
      places: [{ line: 4, name: 'Northfield' }],
      organisations: [
        { line: 2, placeName: 'Northfield', name: 'Northfield Council', kind: 'council' },
        { line: 6, placeName: 'Wirral', name: 'Wirral Carers', kind: 'vcse' },
      ],
      contacts: [
        { line: 2, placeName: 'Northfield', organisationName: 'Northfield Council', name: 'Ann Able', email: 'ann.able@example.org' },
        { line: 3, placeName: 'Northfield', organisationName: 'Northfield Council', name: 'Bob Brown', email: 'bob@example.org' },
        { line: 5, placeName: 'Wirral', organisationName: 'Wirral Council', name: 'New Person', email: 'new@example.org' },
      ],
    })
    expect(checker.counts()).toEqual({ rows: 5, places: 1, organisations: 2, contacts: 3 })
  })

  it('lists every problem with its line, column, name and message', () => {
    const { problems } = check(
      [
        header,
        'Wirral,Wirral Hospital,Hospital,Carol Cole,carol@example.org', // 2: unknown type
        'Wirral,Wirral Council,,Dan Dee,', // 3: missing e-mail
        'Wirral,Wirral Council,,Eve Eng,not-an-email', // 4: malformed e-mail
        'Wirrall,Wirral PCN,Primary care network,,', // 5: unknown place
        'Wirral,Wirral Council,,Fay Fox,fay@example.org',
        'Wirral,Wirral Council,,Fay Fox,FAY@example.org', // 7: duplicate in the file
        'Wirral,Wirral Council,,Known,known@example.org', // 8: already invited
        'Wirral,,,', // 9: wrong number of columns
        'Wirral,,,,', // 10: place already exists
        'Wirral,Wirral Council,,,', // 11: organisation already exists
        'Wirral,Wirral Council,Acute trust,Gil Gray,gil@example.org', // 12: type differs from the existing one
        'Old Town,Old Town Council,Local authority,,', // 13: retired place
        'Wirral,Closed Trust,,Hal Hill,hal@example.org', // 14: retired organisation
        'Wirral,New Group,,,', // 15: no type for a new organisation
        'Wirral,Fresh Trust,Acute trust,,',
        'Wirral,Fresh Trust,Acute trust,,', // 17: duplicate organisation row
        'Wirral,,,Ivy Ives,ivy@example.org', // 18: contact without an organisation
        ',Lost Org,VCSE,,', // 19: no place
        'Wirral,Wirral Council,,,jo@example.org', // 20: e-mail without a name
      ].join('\n'),
    )
    expect(problems.map((p) => [p.line, p.column, p.name, p.message])).toEqual([
      [
        2,
        'Organisation type',
        'Carol Cole',
        expect.stringMatching(/^“Hospital” is not an organisation type: use one of Local authority, /),
      ],
      [3, 'Contact email', 'Dan Dee', 'Enter Dan Dee’s email address'],
      [4, 'Contact email', 'Eve Eng', 'Enter an email address in the correct format, like name@example.org'],
      [5, 'Place', 'Wirral PCN', '“Wirrall” is not a place in this ICS, and no row of the file adds it'],
      [7, 'Contact email', 'Fay Fox', 'is a duplicate of line 6'],
      [8, 'Contact email', 'Known', 'known@example.org is already invited to Wirral Council or has access to it'],
      [9, null, 'Wirral', 'has 4 columns; every row needs 5: Place, Organisation, Organisation type, Contact name, Contact email'],
      [10, 'Place', 'Wirral', 'Wirral already exists'],
      [11, 'Organisation', 'Wirral Council', 'Wirral Council already exists in Wirral'],
      [12, 'Organisation type', 'Gil Gray', 'Wirral Council already exists as a Local authority'],
      [13, 'Place', 'Old Town Council', 'Old Town is retired: reinstate it before adding organisations to it'],
      [14, 'Organisation', 'Hal Hill', 'Closed Trust is retired: reinstate it before inviting its contacts'],
      [15, 'Organisation type', 'New Group', 'Enter the organisation type of New Group'],
      [17, 'Organisation', 'Fresh Trust', 'is a duplicate of line 16'],
      [18, 'Organisation', 'Ivy Ives', 'Enter the organisation (a row with a place alone adds the place)'],
      [19, 'Place', 'Lost Org', 'Enter the place'],
      [20, 'Contact name', 'jo@example.org', 'Enter the contact’s name'],
    ])
  })

  it('names lines that are not UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from(`${header}\nWirral,Caf`), Buffer.from([0xe9]), Buffer.from(' Trust,VCSE,,\n')])
    const read = readCsv(bytes)
    const checker = new PartnerImportChecker(directory(), { withProblemsColumn: false, notUtf8Lines: read.notUtf8Lines })
    checker.check(read.records.slice(1))
    expect(checker.problems).toEqual([expect.objectContaining({ line: 2, column: null, message: expect.stringContaining('not UTF-8') })])
  })

  it('accepts a re-upload of the rows-with-problems download, ignoring its problems column', () => {
    const read = readCsv(Buffer.from(`${header},Problems\nWirral,Wirral Carers,VCSE,,,"line 5: was wrong"\nWirral,Wirral Friends,VCSE,,\n`))
    expect(checkHeader(read.records[0])).toEqual([])
    const checker = new PartnerImportChecker(directory(), { withProblemsColumn: true })
    checker.check(read.records.slice(1))
    expect(checker.problems).toEqual([])
    expect(checker.plan.organisations.map((o) => o.name)).toEqual(['Wirral Carers', 'Wirral Friends'])
  })
})

describe('organisation types', () => {
  it.each([
    ['Local authority', 'council'],
    ['council', 'council'],
    ['ICB place team', 'icb_place'],
    ['acute_trust', 'acute_trust'],
    ['Community trust', 'community_trust'],
    ['Mental health trust', 'mental_health_trust'],
    ['Primary care network', 'primary_care'],
    ['PCN', 'primary_care'],
    ['vcse', 'vcse'],
    ['Healthwatch', 'healthwatch'],
    ['Social care provider', 'social_care'],
    ['other', 'other'],
  ])('reads “%s” as %s', (text, kind) => {
    expect(parseOrganisationKind(text)).toBe(kind)
  })

  it('reads nothing else', () => {
    expect(parseOrganisationKind('Hospital')).toBeUndefined()
    expect(parseOrganisationKind('')).toBeUndefined()
  })
})
