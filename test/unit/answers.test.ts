import { createHash } from 'node:crypto'
import fc from 'fast-check'
import {
  checkComplete,
  checkDraft,
  fingerprint,
  maxEvidenceLength,
  readTypedAnswers,
  sameValue,
  type AnswerValue,
  type CriterionForAnswer,
} from '../../server/assessment/answers'

const criteria: CriterionForAnswer[] = [
  { code: 'DD1', title: 'Financial framework', domainCode: 'DD' },
  { code: 'DD2', title: 'Planning & delivery of integrated services', domainCode: 'DD' },
]

function form(fields: Record<string, string>) {
  return readTypedAnswers(fields, criteria)
}

describe('draft rules: what stops any save', () => {
  it.each([
    ['a level that is not on the form', { 'level-DD1': '7' }, ['Select a maturity level for DD1 Financial framework, or Not sure yet']],
    ['a level that is not a number', { 'level-DD1': 'high' }, ['Select a maturity level for DD1 Financial framework, or Not sure yet']],
    [
      'evidence over 5,000 characters',
      { 'evidence-DD2': 'x'.repeat(maxEvidenceLength + 1) },
      ['Evidence for DD2 must be 5,000 characters or fewer – you have 5,001'],
    ],
    [
      'support over 5,000 characters',
      { 'support-DD1': 'y'.repeat(5001) },
      ['Support you would need for DD1 must be 5,000 characters or fewer – you have 5,001'],
    ],
    ['a target that is not a level', { 'target-DD1': '9' }, ['Select a target level for DD1, or leave it blank']],
    [
      'a target below the chosen level',
      { 'level-DD1': '3', 'target-DD1': '2' },
      ['Target level for DD1 must be the same as or higher than the level you chose'],
    ],
  ])('rejects %s', (_name, fields, messages) => {
    expect(checkDraft(form(fields), criteria, 4).errors.map((e) => e.text)).toEqual(messages)
  })

  it.each([
    ['nothing at all', {}],
    ['a level without evidence', { 'level-DD1': '4' }],
    ['Not sure yet', { 'level-DD1': 'not-sure' }],
    ['evidence of exactly 5,000 characters', { 'evidence-DD1': 'x'.repeat(5000) }],
    ['a target equal to the level', { 'level-DD1': '2', 'target-DD1': '2' }],
    ['a target with Not sure yet', { 'level-DD1': 'not-sure', 'target-DD1': '3' }],
  ])('accepts %s as a draft', (_name, fields) => {
    expect(checkDraft(form(fields), criteria, 4).errors).toEqual([])
  })

  it('counts a CRLF line break as one character, as the character count shows', () => {
    const text = 'a\r\n'.repeat(2000) + 'x'.repeat(1000)
    const { errors, values } = checkDraft(form({ 'evidence-DD1': text }), criteria, 4)
    expect(errors).toEqual([])
    expect(values.get('DD1')!.evidence).toHaveLength(5000)
  })

  it('links each error to its field', () => {
    const { errors } = checkDraft(form({ 'level-DD2': 'x', 'target-DD1': 'x' }), criteria, 4)
    expect(errors.map((e) => e.href)).toEqual(['#target-DD1', '#level-DD2'])
  })

  it('turns the form into values, with blank text stored as nothing', () => {
    const { values } = checkDraft(
      form({ 'level-DD1': '3', 'evidence-DD1': '  Pooled budget  ', 'support-DD1': '   ', 'level-DD2': 'not-sure' }),
      criteria,
      4,
    )
    expect(values.get('DD1')).toEqual({ level: 3, notSure: false, evidence: '  Pooled budget  ', supportNeeded: null, targetLevel: null })
    expect(values.get('DD2')).toEqual({ level: null, notSure: true, evidence: null, supportNeeded: null, targetLevel: null })
  })
})

describe('completion rules: what a domain needs to be marked complete', () => {
  const value = (v: Partial<AnswerValue>): AnswerValue => ({
    level: null,
    notSure: false,
    evidence: null,
    supportNeeded: null,
    targetLevel: null,
    ...v,
  })

  it.each([
    ['no answer', undefined, 'Select a maturity level for DD1 Financial framework, or Not sure yet'],
    ['an answer with no level', value({ evidence: 'Something' }), 'Select a maturity level for DD1 Financial framework, or Not sure yet'],
    ['Maturing without evidence', value({ level: 3 }), 'Enter the evidence for DD1 – evidence is needed for a level of Maturing or above'],
    [
      'Thriving with only spaces as evidence',
      value({ level: 4, evidence: '   ' }),
      'Enter the evidence for DD1 – evidence is needed for a level of Maturing or above',
    ],
  ])('refuses %s', (_name, dd1, message) => {
    const values = new Map<string, AnswerValue>([['DD2', value({ notSure: true })]])
    if (dd1) values.set('DD1', dd1)
    expect(checkComplete(values, criteria).map((e) => e.text)).toEqual([message])
  })

  it.each([
    ['Emerging without evidence', value({ level: 1 })],
    ['Developing without evidence', value({ level: 2 })],
    ['Not sure yet', value({ notSure: true })],
    ['Maturing with evidence', value({ level: 3, evidence: 'Section 75 agreement signed' })],
  ])('accepts %s', (_name, dd1) => {
    const values = new Map<string, AnswerValue>([
      ['DD1', dd1],
      ['DD2', value({ level: 2 })],
    ])
    expect(checkComplete(values, criteria)).toEqual([])
  })
})

describe('sameValue', () => {
  it('treats a missing answer as an empty one, and notices any difference', () => {
    const empty: AnswerValue = { level: null, notSure: false, evidence: null, supportNeeded: null, targetLevel: null }
    expect(sameValue(undefined, empty)).toBe(true)
    expect(sameValue(empty, { ...empty, evidence: 'x' })).toBe(false)
    expect(sameValue({ ...empty, level: 2 }, { ...empty, level: 2 })).toBe(true)
  })

  it('fingerprints an answer as pages have always been sent it, so a base from a page loaded earlier still matches', () => {
    const value: AnswerValue = { level: 2, notSure: false, evidence: 'Minutes – “quoted”', supportNeeded: null, targetLevel: 3 }
    const asBefore = (content: unknown[]) => createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)
    expect(fingerprint(value)).toBe(asBefore([2, false, 'Minutes – “quoted”', null, 3]))
    expect(fingerprint(undefined)).toBe(asBefore([null, false, null, null, null]))
  })

  it('says two answers are the same exactly when their fingerprints are (it compares fields rather than hashing)', () => {
    // Small alphabets, so that equal pairs are common as well as unequal ones.
    const answer = fc.record({
      level: fc.constantFrom(null, 1, 2),
      notSure: fc.boolean(),
      evidence: fc.constantFrom(null, '', 'a', 'b'),
      supportNeeded: fc.constantFrom(null, 'a'),
      targetLevel: fc.constantFrom(null, 2),
    })
    const maybeAnswer = fc.option(answer, { nil: undefined })
    fc.assert(
      fc.property(maybeAnswer, maybeAnswer, (a, b) => {
        expect(sameValue(a, b)).toBe(fingerprint(a) === fingerprint(b))
      }),
      { numRuns: 2000 },
    )
  })
})
