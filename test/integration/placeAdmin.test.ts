import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, signIn, type Agent } from '../helpers/session'

describe('places and partner organisations, managed without a developer', () => {
  let context: TestContext
  let lead: Agent
  let placeLead: Agent
  let wirralId: number

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
    wirralId = ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id
  })
  afterAll(() => context.close())

  async function post(agent: Agent, page: string, action: string, fields: Record<string, string>) {
    const form = await agent.get(page)
    return agent
      .post(action)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), ...fields })
  }

  it('adds a place, refusing a name already used, and renames it; each change audited', async () => {
    const empty = await post(lead, '/admin/places', '/admin/places', { name: '  ' })
    expect(empty.status).toBe(400)
    expect(errorSummaryOf(empty.text)).toEqual(['Enter the name of the place'])
    const taken = await post(lead, '/admin/places', '/admin/places', { name: 'wirral' })
    expect(taken.status).toBe(400)
    expect(errorSummaryOf(taken.text)).toEqual(['There is already a place called Wirral'])
    expect(taken.text).toContain('value="wirral"')

    const added = await post(lead, '/admin/places', '/admin/places', { name: 'Southport  and Formby' })
    expect(added.status).toBe(303)
    const place = (await context.db('places').where({ name: 'Southport and Formby' }).first('id', 'slug')) as { id: number; slug: string }
    expect(place.slug).toBe('southport-and-formby')
    expect(added.headers.location).toBe(`/admin/places/${place.id}`)
    // Renamed to a name another place has: refused on the name's own field, with what was typed kept.
    const clash = await post(lead, `/admin/places/${place.id}`, `/admin/places/${place.id}`, { placeName: 'Wirral' })
    expect(clash.status).toBe(400)
    expect(clash.text).toMatch(/<a href="#placeName">[^<]*Wirral/)
    expect(clash.text).toMatch(/id="placeName"[^>]*value="Wirral"|value="Wirral"[^>]*id="placeName"/)
    expect((await post(lead, `/admin/places/${place.id}`, `/admin/places/${place.id}`, { placeName: 'Sefton North' })).status).toBe(303)
    expect(((await context.db('places').where({ id: place.id }).first('name')) as { name: string }).name).toBe('Sefton North')
    expect(
      (await context
        .db('audit_events')
        .where({ subject_type: 'place', subject_id: String(place.id) })
        .orderBy('id')
        .pluck('kind')) as string[],
    ).toEqual(['place.created', 'place.changed'])
    // A place lead may not add or rename places.
    expect((await post(placeLead, `/admin/places/${wirralId}`, '/admin/places', { name: 'Elsewhere' })).status).toBe(403)
  })

  it('lets the place lead add and change its own organisations, with every type on offer', async () => {
    const page = await placeLead.get(`/admin/places/${wirralId}`)
    for (const label of [
      'Local authority',
      'ICB place team',
      'Acute trust',
      'Community trust',
      'Mental health trust',
      'Primary care network',
      'VCSE',
      'Healthwatch',
      'Social care provider',
      'Other',
    ])
      expect(page.text).toContain(`>${label}</option>`)
    const invalid = await post(placeLead, `/admin/places/${wirralId}`, `/admin/places/${wirralId}/organisations`, {
      name: 'Wirral Hospice',
      kind: '',
    })
    expect(invalid.status).toBe(400)
    expect(errorSummaryOf(invalid.text)).toEqual(['Select the type of organisation'])
    expect(invalid.text).toContain('value="Wirral Hospice"')
    expect(
      (
        await post(placeLead, `/admin/places/${wirralId}`, `/admin/places/${wirralId}/organisations`, {
          name: 'Wirral Hospice',
          kind: 'vcse',
        })
      ).status,
    ).toBe(303)
    const hospice = (await context.db('organisations').where({ name: 'Wirral Hospice' }).first('id', 'kind')) as {
      id: number
      kind: string
    }
    expect(hospice.kind).toBe('vcse')
    const duplicate = await post(placeLead, `/admin/places/${wirralId}`, `/admin/places/${wirralId}/organisations`, {
      name: 'wirral hospice',
      kind: 'other',
    })
    expect(errorSummaryOf(duplicate.text)).toEqual(['Wirral already has an organisation called Wirral Hospice'])
    expect(
      (
        await post(placeLead, `/admin/organisations/${hospice.id}`, `/admin/organisations/${hospice.id}`, {
          name: 'Wirral Hospice Trust',
          kind: 'other',
        })
      ).status,
    ).toBe(303)
    expect(await context.db('organisations').where({ id: hospice.id }).first('name', 'kind')).toEqual({
      name: 'Wirral Hospice Trust',
      kind: 'other',
    })
    // Another place's lead cannot know it exists.
    const liverpool = (await context.db('places').where({ slug: 'liverpool' }).first('id')) as { id: number }
    expect((await placeLead.get(`/admin/places/${liverpool.id}`)).status).toBe(404)
  })

  it('retires an organisation with answers instead of deleting it, and reinstates it; retired ones are not offered for invitations', async () => {
    const council = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
    const answers = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .where('r.organisation_id', council.id)
      .count({ n: '*' })
      .first()) as { n: unknown }
    const noReason = await post(lead, `/admin/organisations/${council.id}`, `/admin/organisations/${council.id}/retire`, { reason: '' })
    expect(noReason.status).toBe(400)
    expect(errorSummaryOf(noReason.text)).toEqual(['Enter the reason'])
    expect(
      (await post(lead, `/admin/organisations/${council.id}`, `/admin/organisations/${council.id}/retire`, { reason: 'Reorganised' }))
        .status,
    ).toBe(303)
    expect(
      ((await context.db('organisations').where({ id: council.id }).first('retired_at')) as { retired_at: unknown }).retired_at,
    ).not.toBeNull()
    expect(
      await context
        .db('answers as a')
        .join('responses as r', 'r.id', 'a.response_id')
        .where('r.organisation_id', council.id)
        .count({ n: '*' })
        .first(),
    ).toEqual(answers)
    const invitations = await lead.get('/admin/invitations')
    expect(invitations.text).not.toMatch(new RegExp(`<option value="${council.id}"`))
    const board = await lead.get(`/admin/places/${wirralId}/contacts`)
    expect(board.text).not.toMatch(new RegExp(`<option value="${council.id}"`))
    expect(
      (await post(lead, `/admin/organisations/${council.id}`, `/admin/organisations/${council.id}/reinstate`, { reason: 'Back as before' }))
        .status,
    ).toBe(303)
    expect(
      ((await context.db('organisations').where({ id: council.id }).first('retired_at')) as { retired_at: unknown }).retired_at,
    ).toBeNull()
    expect(
      (await context
        .db('audit_events')
        .where({ subject_type: 'organisation', subject_id: String(council.id) })
        .orderBy('id')
        .pluck('kind')) as string[],
    ).toEqual(['organisation.retired', 'organisation.reinstated'])
  })

  it('retires a place with answers instead of deleting it, leaving it out of new rounds, and reinstates it; each with a reason, audited', async () => {
    const halton = (await context.db('places').where({ slug: 'halton' }).first('id')) as { id: number }
    const kept = async () => ({
      organisations: Number(
        ((await context.db('organisations').where({ place_id: halton.id }).count({ n: '*' }).first()) as { n: unknown }).n,
      ),
      responses: Number(
        (
          (await context
            .db('responses as r')
            .join('organisations as o', 'o.id', 'r.organisation_id')
            .where('o.place_id', halton.id)
            .count({ n: '*' })
            .first()) as { n: unknown }
        ).n,
      ),
      rounds: Number(((await context.db('round_places').where({ place_id: halton.id }).count({ n: '*' }).first()) as { n: unknown }).n),
    })
    const before = await kept()
    expect(before.responses).toBeGreaterThan(0)
    const page = `/admin/places/${halton.id}`
    const noReason = await post(lead, page, `${page}/retire`, { reason: ' ' })
    expect(noReason.status).toBe(400)
    expect(errorSummaryOf(noReason.text)).toEqual(['Enter the reason'])
    // Only the ICS lead retires a place, not a place lead (of another place or its own).
    expect((await post(placeLead, '/admin/places', `${page}/retire`, { reason: 'Merged' })).status).toBe(403)
    expect((await post(lead, page, `${page}/retire`, { reason: 'Merged with Knowsley into one place' })).status).toBe(303)

    expect(await kept()).toEqual(before)
    const list = await lead.get('/admin/places')
    expect(list.text).toMatch(
      new RegExp(`href="/admin/places/${halton.id}">Halton</a> <strong class="nhsuk-tag nhsuk-tag--grey">Retired</strong>`),
    )
    const roundForm = await lead.get('/rounds/new')
    expect(roundForm.text).not.toContain('Halton')

    expect((await post(lead, page, `${page}/reinstate`, { reason: 'The merger was called off' })).status).toBe(303)
    expect((await lead.get('/rounds/new')).text).toContain('Halton')
    const events = (await context
      .db('audit_events')
      .where({ subject_type: 'place', subject_id: String(halton.id) })
      .orderBy('id')
      .select('kind', 'details')) as Array<{ kind: string; details: unknown }>
    expect(
      events.map((e) => [e.kind, ((typeof e.details === 'string' ? JSON.parse(e.details) : e.details) as { reason: string }).reason]),
    ).toEqual([
      ['place.retired', 'Merged with Knowsley into one place'],
      ['place.reinstated', 'The merger was called off'],
    ])
  })

  it('shows the demo’s Wirral contacts in every status, round by round, and counts on the places list the contacts the board lists', async () => {
    const statuses = (html: string) =>
      [
        ...html.matchAll(/<strong class="nhsuk-tag [^"]*">(Invited|Invitation expired|Accepted|Started|Submitted|Deactivated)<\/strong>/g),
      ].map((m) => m[1])
    const board = await lead.get(`/admin/places/${wirralId}/contacts`)
    expect(new Set(statuses(board.text))).toEqual(new Set(['Submitted', 'Started', 'Invited', 'Invitation expired']))
    // In the next round, set up early, those with access have accepted and nobody has started.
    const next = (await context.db('rounds').orderBy('opens_at', 'desc').first('id')) as { id: number }
    expect(new Set(statuses((await lead.get(`/admin/places/${wirralId}/contacts?round=${next.id}`)).text))).toEqual(
      new Set(['Accepted', 'Invited', 'Invitation expired']),
    )
    const places = await lead.get('/admin/places')
    const wirralRow = new RegExp(`href="/admin/places/${wirralId}">Wirral</a></td>[\\s\\S]*?Contacts </span>(\\d+)</td>`).exec(places.text)
    expect(Number(wirralRow![1])).toBe(statuses(board.text).length)
  })

  it('shows each organisation’s contacts and how far they have got, and invites, resends and revokes from the board', async () => {
    const board = await placeLead.get(`/admin/places/${wirralId}/contacts`)
    expect(board.status).toBe(200)
    // The demo partner of Wirral Council has started the open round.
    expect(board.text).toMatch(/Sam Taylor[\s\S]*?<strong class="nhsuk-tag nhsuk-tag--yellow">Started<\/strong>/)
    const healthwatch = (await context.db('organisations').where({ name: 'Healthwatch Wirral' }).first('id')) as { id: number }
    const invalid = await post(placeLead, `/admin/places/${wirralId}/contacts`, `/admin/places/${wirralId}/contacts`, {
      organisationId: String(healthwatch.id),
      name: 'Hana Patel',
      email: 'hana@',
    })
    expect(invalid.status).toBe(400)
    expect(errorSummaryOf(invalid.text)).toEqual(['Enter an email address in the correct format, like name@example.org'])
    expect(invalid.text).toContain('value="Hana Patel"')
    const sent = await post(placeLead, `/admin/places/${wirralId}/contacts`, `/admin/places/${wirralId}/contacts`, {
      organisationId: String(healthwatch.id),
      name: 'Hana Patel',
      email: 'hana@healthwatch.example',
    })
    expect(sent.headers.location).toBe(`/admin/places/${wirralId}/contacts?sent=1`)
    const withInvitation = await placeLead.get(`/admin/places/${wirralId}/contacts`)
    expect(withInvitation.text).toMatch(/Hana Patel[\s\S]*?>Invited<\/strong>/)
    const invitationId = ((await context.db('invitations').where({ email: 'hana@healthwatch.example' }).first('id')) as { id: number }).id
    const back = `/admin/places/${wirralId}/contacts`
    expect((await post(placeLead, back, `/admin/invitations/${invitationId}/resend`, { back })).headers.location).toBe(back)
    expect((await post(placeLead, back, `/admin/invitations/${invitationId}/revoke`, { back })).headers.location).toBe(back)
    expect((await placeLead.get(back)).text).not.toContain('Hana Patel')
    // Only a contacts page of the app is a place to go back to.
    expect(
      (await post(placeLead, back, `/admin/invitations/${invitationId}/revoke`, { back: 'https://elsewhere.example/' })).headers.location,
    ).toBe('/admin/invitations')
  })
})
