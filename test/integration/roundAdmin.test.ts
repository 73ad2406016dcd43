import { timestamp, toDate } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countOf } from '../helpers/counts'
import { csrfFrom, errorSummaryOf, signIn, type Agent } from '../helpers/session'
import { addPartner } from '../helpers/users'

/** The round form's fields for a round opening on 1 June 2027 at 09:00 and closing on 30 June at 17:00, UK time (BST). */
function roundFields(placeIds: number[], frameworkVersionId: number, extra: Record<string, string | string[]> = {}) {
  return {
    title: 'Place development self-assessment, June 2027',
    frameworkVersionId: String(frameworkVersionId),
    'opens-day': '1',
    'opens-month': '6',
    'opens-year': '2027',
    'opens-time': '09:00',
    'closes-day': '30',
    'closes-month': '6',
    'closes-year': '2027',
    'closes-time': '5pm',
    placeIds: placeIds.map(String),
    reminderDays: '10, 2',
    ...extra,
  }
}

describe('running rounds without a developer', () => {
  let context: TestContext
  let lead: Agent
  let placeIds: number[]
  let versionId: number

  beforeEach(async () => {
    context = await createTestContext({ demo: true })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    placeIds = (await context.db('places').orderBy('name').pluck('id')) as number[]
    versionId = ((await context.db('framework_versions').orderBy('id').first('id')) as { id: number }).id
  })
  afterEach(() => context.close())

  async function post(page: string, action: string, fields: Record<string, string | string[]>) {
    const form = await lead.get(page)
    return lead
      .post(action)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), ...fields })
  }

  it('creates a round in UK time on the places chosen, after showing every problem with what was typed kept', async () => {
    const invalid = await post('/rounds/new', '/rounds', {
      title: '',
      frameworkVersionId: '',
      'opens-day': '31',
      'opens-month': '2',
      'opens-year': '2027',
      'closes-day': '',
      'closes-month': '',
      'closes-year': '',
      reminderDays: '7, seven',
    })
    expect(invalid.status).toBe(400)
    expect(errorSummaryOf(invalid.text)).toEqual([
      'Enter the name of the round',
      'Select the framework version',
      'Enter when the round opens as a real date, like 29 10 2026',
      'Enter the deadline',
      'Select the places taking part',
      'Enter reminder days as whole numbers separated by commas, like 7, 3, 1',
    ])
    expect(invalid.text).toContain('value="31"')
    expect(invalid.text).toContain('value="7, seven"')
    expect(invalid.text).toContain('id="title-error"')

    const deadlineFirst = await post('/rounds/new', '/rounds', roundFields(placeIds.slice(0, 2), versionId, { 'closes-month': '5' }))
    expect(deadlineFirst.status).toBe(400)
    expect(errorSummaryOf(deadlineFirst.text)).toEqual(['The deadline must be after the round opens'])

    const created = await post('/rounds/new', '/rounds', roundFields(placeIds.slice(0, 2), versionId))
    expect(created.status).toBe(303)
    const round = (await context.db('rounds').orderBy('id', 'desc').first()) as Record<string, unknown>
    expect(round.title).toBe('Place development self-assessment, June 2027')
    // 09:00 and 17:00 in British Summer Time are 08:00 and 16:00 UTC.
    expect(toDate(round.opens_at).toISOString()).toBe('2027-06-01T08:00:00.000Z')
    expect(toDate(round.closes_at).toISOString()).toBe('2027-06-30T16:00:00.000Z')
    expect(round.reminder_days).toBe('10,2')
    expect((await context.db('round_places').where({ round_id: round.id }).orderBy('place_id').pluck('place_id')) as number[]).toEqual(
      placeIds.slice(0, 2),
    )
    expect(await countOf(context.db('audit_events').where({ kind: 'round.created', subject_id: String(round.id) }))).toBe(1)
    const page = await lead.get(created.headers.location as string)
    expect(page.text).toContain('>Upcoming</strong>')
    expect(page.text).toContain('1 June 2027 at 09:00')
    expect(page.text).toContain('30 June 2027 at 17:00')

    // The same name again is refused.
    const again = await post('/rounds/new', '/rounds', roundFields(placeIds.slice(0, 2), versionId))
    expect(errorSummaryOf(again.text)).toEqual(['There is already a round with this name: choose another'])
  })

  it('changes a round until it opens; then opens it now, closes it early and extends it, each audited', async () => {
    await post('/rounds/new', '/rounds', roundFields(placeIds.slice(0, 2), versionId))
    const roundId = ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
    const changed = await post(
      `/rounds/${roundId}/edit`,
      `/rounds/${roundId}/edit`,
      roundFields(placeIds.slice(0, 3), versionId, { title: 'June 2027 round' }),
    )
    expect(changed.status).toBe(303)
    expect(await countOf(context.db('round_places').where({ round_id: roundId }))).toBe(3)

    const openedWithoutReason = await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/open`, { 'open-reason': ' ' })
    expect(openedWithoutReason.status).toBe(400)
    expect(errorSummaryOf(openedWithoutReason.text)).toEqual(['Enter the reason for opening the round early'])
    expect(openedWithoutReason.text).toContain('href="#open-reason"')
    const opened = await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/open`, {
      'open-reason': 'Partners asked to start before the summer',
    })
    expect(opened.status).toBe(303)
    expect(toDate(((await context.db('rounds').where({ id: roundId }).first('opens_at')) as { opens_at: unknown }).opens_at)).toEqual(
      context.clock.now(),
    )
    // Once open, it can no longer be changed, only extended.
    expect((await lead.get(`/rounds/${roundId}/edit`)).status).toBe(303)
    const tooLate = await post(
      `/rounds/${roundId}/manage`,
      `/rounds/${roundId}/edit`,
      roundFields(placeIds, versionId, { title: 'Renamed' }),
    )
    expect(tooLate.status).toBe(400)
    expect(errorSummaryOf(tooLate.text)).toEqual(['This round has opened, so it can no longer be changed: extend its deadline instead'])

    const noReason = await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/close`, { 'close-reason': '' })
    expect(noReason.status).toBe(400)
    expect(errorSummaryOf(noReason.text)).toEqual(['Enter the reason for closing the round early'])
    const closed = await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/close`, { 'close-reason': 'Every partner has answered' })
    expect(closed.status).toBe(303)
    expect((await lead.get(`/rounds/${roundId}/manage`)).text).toContain('Closed early')

    const extended = await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/extend`, {
      'until-day': '14',
      'until-month': '7',
      'until-year': '2027',
      'until-time': '12:30',
      reason: 'One more partner asked to answer',
    })
    expect(extended.status).toBe(303)
    const round = (await context.db('rounds').where({ id: roundId }).first('extended_until', 'closed_at')) as Record<string, unknown>
    expect(toDate(round.extended_until).toISOString()).toBe('2027-07-14T11:30:00.000Z')
    expect(round.closed_at).toBeNull()
    expect(
      (await context
        .db('audit_events')
        .where({ subject_type: 'round', subject_id: String(roundId) })
        .orderBy('id')
        .pluck('kind')) as string[],
    ).toEqual(['round.created', 'round.changed', 'round.opened', 'round.closed', 'round.extended'])
    // Each change of its dates says why.
    const reasons = (
      (await context
        .db('audit_events')
        .where({ subject_type: 'round', subject_id: String(roundId) })
        .whereIn('kind', ['round.opened', 'round.closed', 'round.extended'])
        .orderBy('id')
        .pluck('details')) as unknown[]
    ).map((d) => ((typeof d === 'string' ? JSON.parse(d) : d) as { reason: string }).reason)
    expect(reasons).toEqual(['Partners asked to start before the summer', 'Every partner has answered', 'One more partner asked to answer'])
  })

  it('summarises the round by place, counted in SQL, with a way into each place’s organisations', async () => {
    const round = (await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }
    const page = await lead.get(`/rounds/${round.id}/manage`)
    const placeRows = [...page.text.matchAll(/href="\/rounds\/\d+\/manage\/places\/(\d+)"/g)].map((m) => Number(m[1]))
    expect(placeRows.sort((a, b) => a - b)).toEqual([...placeIds].sort((a, b) => a - b))
    // Every organisation but the demo's retired one, which took part in no round.
    const organisations = (await context.db('organisations').whereNull('retired_at').count({ n: '*' }).first()) as { n: unknown }
    const submitted = (await context.db('responses').where({ round_id: round.id, status: 'submitted' }).count({ n: '*' }).first()) as {
      n: unknown
    }
    expect(page.text).toContain(`${Number(submitted.n)} of ${Number(organisations.n)}`)
    // Not one row per organisation: no organisation is named on the round's page.
    expect(page.text).not.toContain('Wirral Council')

    const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    const place = await lead.get(`/rounds/${round.id}/manage/places/${wirral.id}`)
    expect(place.status).toBe(200)
    const names = (await context.db('organisations').where({ place_id: wirral.id }).pluck('name')) as string[]
    for (const name of names) expect(place.text).toContain(name.replace(/&/g, '&amp;'))
    expect(place.text).toContain('7 of 16 answered')
  })

  it('warns of organisations yet to submit that have nobody to answer, until a contact is invited', async () => {
    const round = (await context
      .db('rounds')
      .where('opens_at', '<=', timestamp(context.clock.now()))
      .orderBy('opens_at', 'desc')
      .first('id')) as {
      id: number
    }
    const submitted = new Set(
      (await context.db('responses').where({ round_id: round.id, status: 'submitted' }).pluck('organisation_id')) as number[],
    )
    const withPartner = new Set(
      (await context
        .db('memberships as m')
        .join('users as u', 'u.id', 'm.user_id')
        .where({ 'm.role': 'partner', 'u.is_active': true })
        .pluck('m.organisation_id')) as number[],
    )
    // An invitation not accepted or revoked is someone to answer too (its link can be sent again).
    for (const id of (await context
      .db('invitations')
      .where({ role: 'partner' })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .pluck('organisation_id')) as number[])
      withPartner.add(id)
    const waiting = (await context.db('organisations').whereNull('retired_at').orderBy('name').select('id', 'name', 'place_id')) as Array<{
      id: number
      name: string
      place_id: number
    }>
    const nobody = waiting.filter((o) => !submitted.has(o.id) && !withPartner.has(o.id))
    // The demo has organisations that submitted with nobody left to answer: they are not counted.
    expect(waiting.filter((o) => submitted.has(o.id) && !withPartner.has(o.id)).length).toBeGreaterThan(0)
    expect(nobody.length).toBeGreaterThan(1)
    const page = await lead.get(`/rounds/${round.id}/manage`)
    expect(page.text).toContain(`${nobody.length} organisations have nobody to answer`)

    // Invited, an organisation has someone to answer for it.
    const organisation = nobody[0]!
    const board = await lead.get(`/admin/places/${organisation.place_id}/contacts`)
    const invited = await lead
      .post(`/admin/places/${organisation.place_id}/contacts`)
      .type('form')
      .send({ _csrf: csrfFrom(board.text), organisationId: String(organisation.id), name: 'Robin Day', email: 'robin.day@example.net' })
    expect(invited.status).toBe(303)
    const after = await lead.get(`/rounds/${round.id}/manage`)
    expect(after.text).toContain(
      `${nobody.length - 1 === 1 ? '1 organisation has' : `${nobody.length - 1} organisations have`} nobody to answer`,
    )

    // In the baseline, where every organisation submitted, nobody is missing.
    const baseline = (await context.db('rounds').orderBy('opens_at').first('id')) as { id: number }
    expect((await lead.get(`/rounds/${baseline.id}/manage`)).text).not.toContain('nobody to answer')
  })

  it('reopens one place’s submitted return, with a reason, audited; the place lead can change it again', async () => {
    const returned = (await context
      .db('place_returns')
      .where({ status: 'submitted' })
      .orderBy('id')
      .first('id', 'round_id', 'place_id')) as {
      id: number
      round_id: number
      place_id: number
    }
    const base = `/rounds/${returned.round_id}/places/${returned.place_id}`
    const page = await lead.get(base)
    expect(page.text).toContain('Reason for reopening')
    const noReason = await post(base, `${base}/return/reopen`, { reason: '' })
    expect(noReason.status).toBe(400)
    expect(errorSummaryOf(noReason.text)).toEqual(['Enter the reason for reopening the place return'])
    expect(((await context.db('place_returns').where({ id: returned.id }).first('status')) as { status: string }).status).toBe('submitted')

    const reopened = await post(base, `${base}/return/reopen`, { reason: 'The finance criteria need the new pooled budget' })
    expect(reopened.status).toBe(303)
    expect(((await context.db('place_returns').where({ id: returned.id }).first('status')) as { status: string }).status).toBe('draft')
    const event = (await context
      .db('audit_events')
      .where({ kind: 'place-return.reopened', subject_id: String(returned.id) })
      .first('details')) as {
      details: unknown
    }
    const details = (typeof event.details === 'string' ? JSON.parse(event.details) : event.details) as { reason: string }
    expect(details.reason).toBe('The finance criteria need the new pooled budget')
    expect((await lead.get(base)).text).not.toContain('It can no longer be changed unless the ICS lead reopens it')
  })

  it('copies a round: its places and framework, with the open development actions carried over; a retired organisation is left out', async () => {
    const previous = (await context.db('rounds').orderBy('id', 'desc').first('id', 'framework_version_id')) as {
      id: number
      framework_version_id: number
    }
    const form = await lead.get(`/rounds/new?copy=${previous.id}`)
    expect(form.text).toContain(`name="copyFrom" value="${previous.id}"`)
    for (const placeId of placeIds) expect(form.text).toMatch(new RegExp(`value="${placeId}" checked`))

    // Healthwatch Wirral has not answered the open round: retired, it is left out of the new one.
    const healthwatch = (await context.db('organisations').where({ name: 'Healthwatch Wirral' }).first('id')) as { id: number }
    await addPartner(context, 'hana@healthwatch.example', 'Healthwatch Wirral', 'Hana Patel')
    const organisationPage = await lead.get(`/admin/organisations/${healthwatch.id}`)
    expect(
      (
        await lead
          .post(`/admin/organisations/${healthwatch.id}/retire`)
          .type('form')
          .send({ _csrf: csrfFrom(organisationPage.text), reason: 'Merged into the VCSE alliance' })
      ).status,
    ).toBe(303)

    const copied = await post(
      `/rounds/new?copy=${previous.id}`,
      '/rounds',
      roundFields(placeIds, previous.framework_version_id, { copyFrom: String(previous.id), title: 'Next round' }),
    )
    expect(copied.status).toBe(303)
    const roundId = ((await context.db('rounds').where({ title: 'Next round' }).first('id')) as { id: number }).id
    const open = (await context.db('development_actions').whereNot('status', 'done').orderBy('id').pluck('id')) as number[]
    expect(open.length).toBeGreaterThan(0)
    expect(
      (await context.db('round_carried_actions').where({ round_id: roundId }).orderBy('action_id').pluck('action_id')) as number[],
    ).toEqual(open)
    const manage = await lead.get(`/rounds/${roundId}/manage`)
    expect(manage.text).toContain(`${open.length} open development actions carried over`)

    const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    await post(`/rounds/${roundId}/manage`, `/rounds/${roundId}/open`, { 'open-reason': 'Ready early' })
    expect((await lead.get(`/rounds/${roundId}/manage/places/${wirral.id}`)).text).not.toContain('Healthwatch Wirral')
    // It keeps its place, and its answers, in the baseline round it answered.
    const baseline = (await context.db('rounds').orderBy('id').first('id')) as { id: number }
    expect((await lead.get(`/rounds/${baseline.id}/manage/places/${wirral.id}`)).text).toContain('Healthwatch Wirral')
    // And its partners cannot reach the new round.
    const hana = await signIn(context.app, 'hana@healthwatch.example', testDemoPassword)
    expect((await hana.get(`/rounds/${roundId}/organisations/${healthwatch.id}`)).status).toBe(404)
  })
})
