import fc from 'fast-check'
import { z } from 'zod'
import { ValidationError } from '../../server/errors'
import { forgottenPasswordForm, newPasswordForm, signInForm } from '../../server/forms/account'
import { submissionForm } from '../../server/forms/assessment'
import { auditFilterForm } from '../../server/forms/auditFilter'
import { apiTokenForm, auditRangeForm } from '../../server/forms/exportForms'
import { parseForm } from '../../server/forms/parse'
import { invitationForm, membershipForm } from '../../server/forms/people'
import { actionForm, decisionForm, moderationForm, positionForm, reopenReturnForm } from '../../server/forms/placeReturn'
import { publishResultsForm } from '../../server/forms/reports'
import { organisationForm, placeForm, reasonForm } from '../../server/forms/places'
import { closeRoundForm, openRoundForm, reminderDaysForm, reopenResponseForm, roundFields } from '../../server/forms/roundSetup'
import { calendarDate, joinDateParts, requiredText } from '../../server/forms/fields'
import { deadlineOn } from '../../server/time/london'

/** A deadline's day as three boxes, and why it moved: how the field builders join and check dates. */
const extendRoundForm = z.preprocess(
  (body) => joinDateParts(body, 'until'),
  z.object({
    until: calendarDate('Enter the new deadline as a real date').transform(deadlineOn),
    reason: requiredText({ missing: 'Enter the reason', label: 'Reason', max: 1000 }),
  }),
)

/** Every form, with the names of the fields it posts. */
const forms: Array<[string, z.ZodType, string[]]> = [
  ['sign in', signInForm, ['email', 'password']],
  ['forgotten password', forgottenPasswordForm, ['email']],
  ['new password', newPasswordForm('someone@example.org'), ['password', 'confirmPassword']],
  ['invitation', invitationForm, ['name', 'email', 'role', 'placeId', 'organisationId']],
  ['membership', membershipForm, ['role', 'placeId', 'organisationId']],
  ['audit filter', auditFilterForm(['sign-in.failed', 'sign-out']), ['user', 'kind', 'from', 'to', 'page']],
  ['submission', submissionForm, ['declaration']],
  ['date parts', extendRoundForm, ['until-day', 'until-month', 'until-year', 'reason']],
  ['round', roundFields, ['title', 'frameworkVersionId', 'placeIds', 'reminderDays', 'copyFrom']],
  ['open round early', openRoundForm, ['open-reason']],
  ['close round early', closeRoundForm, ['close-reason']],
  ['reminder days', reminderDaysForm, ['reminderDays']],
  ['reopen response', reopenResponseForm, ['reason']],
  ['place', placeForm, ['name']],
  ['organisation', organisationForm, ['name', 'kind']],
  ['retire or reinstate', reasonForm, ['reason']],
  ['agreed position', positionForm(4, 'AV1'), ['level', 'rationale', 'evidenceSummary']],
  ['moderation', moderationForm(4), ['moderationLevel', 'moderationComment']],
  ['reopen return', reopenReturnForm, ['reason']],
  [
    'decision',
    decisionForm,
    ['decisionLevel', 'decisionRationale', 'decidedOn-day', 'decidedOn-month', 'decidedOn-year', 'decidingBody', 'differenceReason'],
  ],
  ['publish results', publishResultsForm, ['confirm']],
  ['API token', apiTokenForm, ['name']],
  ['audit trail download', auditRangeForm, ['from-day', 'from-month', 'from-year', 'to-day', 'to-month', 'to-year']],
  ['development action', actionForm, ['criterionCode', 'description', 'ownerOrganisationId', 'dueDate', 'status']],
]

/** The wording zod uses when a schema gives none: never to be shown to people. */
const zodWording = /^(Invalid|Too small|Too big|Unrecognized)|expected|received/i

/** What a crafted request can post in a field: text of any kind, repeated fields, nested objects, nothing. */
const postedValue = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', '0', '-1', '1', '4', '99', 'not-sure', 'none', 'yes', '2026-02-30', '2026-11-22', 'x'.repeat(6000)),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
  fc.integer(),
  fc.constant(undefined),
)

function errorsOf(schema: z.ZodType, body: unknown) {
  try {
    parseForm(schema, body)
    return []
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error
    return error.errors
  }
}

describe('forms checked at the edge', () => {
  it.each(forms)('the %s form answers any input with messages written for people, each for a field', (_name, schema, fields) => {
    fc.assert(
      fc.property(fc.record(Object.fromEntries(fields.map((f) => [f, postedValue])), { requiredKeys: [] }), (body) => {
        for (const error of errorsOf(schema, body)) {
          expect(error.text).not.toMatch(zodWording)
          expect(error.text).toMatch(/^[A-Z]/)
          expect(error.href).toMatch(/^#[A-Za-z]/)
        }
      }),
      { numRuns: 300 },
    )
  })

  it.each(forms)('the %s form refuses a body that is not a form at all with people’s words', (_name, schema) => {
    for (const body of [undefined, null, 'text', 42, ['a']]) {
      for (const error of errorsOf(schema, body)) expect(error.text).not.toMatch(zodWording)
    }
  })

  it('reads an invitation: trimmed text, ids as numbers, a blank choice as none', () => {
    expect(
      parseForm(invitationForm, { name: '  Ada Lovelace ', email: ' ada@example.org', role: 'partner', placeId: '', organisationId: '12' }),
    ).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org', role: 'partner', placeId: null, organisationId: 12 })
  })

  it('names each problem of an invitation once, in the words of the page', () => {
    expect(errorsOf(invitationForm, { name: '', email: 'not an address', role: 'king', organisationId: 'abc' })).toEqual([
      { text: 'Enter the person’s full name', href: '#name' },
      { text: 'Enter an email address in the correct format, like name@example.org', href: '#email' },
      { text: 'Select a role', href: '#role' },
      { text: 'Select the partner organisation', href: '#organisationId' },
    ])
  })

  it('refuses an id no row could have (beyond what the database holds) as a choice not on the list', () => {
    expect(errorsOf(membershipForm, { role: 'partner', placeId: '', organisationId: '99999999999999999999' })).toEqual([
      { text: 'Select the partner organisation', href: '#organisationId' },
    ])
    expect(errorsOf(membershipForm, { role: 'partner', placeId: '2147483648', organisationId: '' })).toEqual([
      { text: 'Select the place', href: '#placeId' },
    ])
    expect(parseForm(membershipForm, { role: 'partner', placeId: '', organisationId: '2147483647' }).organisationId).toBe(2147483647)
  })

  it('reads an agreed position: a level on the scale or "Not sure yet", and refuses one off the scale', () => {
    expect(parseForm(positionForm(4, 'AV1'), { level: '3', rationale: ' Agreed at the board ', evidenceSummary: '' })).toEqual({
      level: 3,
      notSure: false,
      rationale: 'Agreed at the board',
      evidenceSummary: null,
    })
    expect(parseForm(positionForm(4, 'AV1'), { level: 'not-sure', rationale: 'Too early', evidenceSummary: 'Minutes' })).toMatchObject({
      level: null,
      notSure: true,
    })
    expect(errorsOf(positionForm(4, 'AV1'), { level: '5', rationale: 'x' })).toEqual([
      { text: 'Select the place’s agreed level for AV1, or Not sure yet', href: '#level' },
    ])
  })

  it('needs a comment for a moderated level but not for removing one', () => {
    const form = moderationForm(4)
    expect(errorsOf(form, { moderationLevel: '2', moderationComment: ' ' })).toEqual([
      { text: 'Enter a comment explaining the moderation', href: '#moderationComment' },
    ])
    expect(parseForm(form, { moderationLevel: 'none', moderationComment: '' })).toEqual({ level: null, comment: '' })
  })

  it('joins the day, month and year boxes into one date, and points a bad date at the day box', () => {
    const fieldIds = { until: 'until-day' }
    expect(parseForm(extendRoundForm, { 'until-day': '9', 'until-month': '1', 'until-year': '2027', reason: 'Moved' }, fieldIds)).toEqual({
      until: new Date('2027-01-09T17:00:00Z'),
      reason: 'Moved',
    })
    expect(errorsOf(extendRoundForm, { 'until-day': '31', 'until-month': '2', 'until-year': '2027', reason: 'Moved' })).toEqual([
      { text: 'Enter the new deadline as a real date', href: '#until' },
    ])
    expect(() =>
      parseForm(extendRoundForm, { 'until-day': '31', 'until-month': '2', 'until-year': '2027', reason: 'x' }, fieldIds),
    ).toThrow(expect.objectContaining({ errors: [{ text: 'Enter the new deadline as a real date', href: '#until-day' }] }))
  })

  it('counts a line break as one character, as the page’s counter does', () => {
    const rationale = 'a\r\n'.repeat(2000).trim()
    expect(parseForm(reopenReturnForm, { reason: 'a\r\nb' })).toEqual({ reason: 'a\nb' })
    expect(errorsOf(decisionForm, { decisionRationale: rationale }).some((e) => e.href === '#decisionRationale')).toBe(false)
  })

  it('treats a spoilt page number of the audit trail as the first page, and any blank filter as none', () => {
    expect(parseForm(auditFilterForm(['sign-out']), { page: 'abc', user: '', kind: '', from: '', to: '' })).toEqual({
      page: 1,
      user: undefined,
      kind: undefined,
      from: undefined,
      to: undefined,
    })
  })
})
