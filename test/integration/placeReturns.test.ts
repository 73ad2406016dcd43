import type { CurrentUser } from '../../server/auth/types'
import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, signIn, submitForm } from '../helpers/session'
import { addUser } from '../helpers/users'

const codes = ['AV1', 'AV2', 'AV3', 'LC1', 'LC2', 'LC3', 'LC4', 'DD1', 'DD2', 'DD3', 'DD4', 'GV1', 'GV2', 'GV3', 'GV4', 'GV5']
const partnerNames = [
  'Wirral Council',
  'NHS Cheshire and Merseyside ICB – Wirral place team',
  'Wirral University Teaching Hospital NHS Foundation Trust',
  'Wirral Community Health and Care NHS Foundation Trust',
  'Wirral primary care networks',
  'Voluntary and Community Action Wirral',
  'Healthwatch Wirral',
]

interface Scenario {
  roundId: number
  wirralId: number
  seftonId: number
  organisationIds: number[]
  partners: CurrentUser[]
  placeLead: CurrentUser
  icsLead: CurrentUser
}

/** A small ICS of our own: Wirral with seven partners (six will answer) and Sefton with none, in an open round. */
async function buildScenario(context: TestContext): Promise<Scenario> {
  const db = context.db
  const now = timestamp(context.clock.now())
  const [ics] = (await db('ics').insert({ name: 'Test ICS', slug: 'test-ics', created_at: now }, ['id'])) as Array<{ id: number }>
  const [wirral] = (await db('places').insert({ ics_id: ics!.id, name: 'Wirral', slug: 'wirral', created_at: now }, ['id'])) as Array<{
    id: number
  }>
  const [sefton] = (await db('places').insert({ ics_id: ics!.id, name: 'Sefton', slug: 'sefton', created_at: now }, ['id'])) as Array<{
    id: number
  }>
  await db('organisations').insert({ place_id: sefton!.id, name: 'Sefton Council', kind: 'council', created_at: now })
  const organisationIds: number[] = []
  for (const name of partnerNames) {
    const [o] = (await db('organisations').insert({ place_id: wirral!.id, name, kind: 'council', created_at: now }, ['id'])) as Array<{
      id: number
    }>
    organisationIds.push(o!.id)
  }
  const version = (await db('framework_versions as v')
    .join('frameworks as f', 'f.id', 'v.framework_id')
    .where('f.slug', 'cheshire-merseyside-place-development')
    .first('v.id')) as { id: number }
  const [round] = (await db('rounds').insert(
    {
      ics_id: ics!.id,
      framework_version_id: version.id,
      title: 'Place development self-assessment, October 2021',
      opens_at: timestamp(new Date(context.clock.now().getTime() - 86_400_000)),
      closes_at: timestamp(new Date(context.clock.now().getTime() + 14 * 86_400_000)),
      created_at: now,
    },
    ['id'],
  )) as Array<{ id: number }>
  await db('round_places').insert([
    { round_id: round!.id, place_id: wirral!.id },
    { round_id: round!.id, place_id: sefton!.id },
  ])
  const user = async (id: number) => (await context.services.accounts.currentUser(id))!
  const partners: CurrentUser[] = []
  for (const [i, organisationId] of organisationIds.entries()) {
    partners.push(
      await user(
        await addUser(
          context,
          `partner${i}@test.example`,
          { role: 'partner', ics_id: ics!.id, place_id: wirral!.id, organisation_id: organisationId },
          `Partner ${i}`,
        ),
      ),
    )
  }
  const placeLead = await user(
    await addUser(context, 'lead.wirral@test.example', { role: 'place_lead', ics_id: ics!.id, place_id: wirral!.id }, 'Wirral Lead'),
  )
  const icsLead = await user(await addUser(context, 'ics@test.example', { role: 'ics_lead', ics_id: ics!.id }, 'ICS Lead'))
  return { roundId: round!.id, wirralId: wirral!.id, seftonId: sefton!.id, organisationIds, partners, placeLead, icsLead }
}

/**
 * Each partner's level per criterion ('n' = Not sure yet). Chosen so that the figures can be
 * checked by hand: AV1 ties (2,2,3,3 → median 2.5 → 2), DD1 has a spread of three levels.
 */
const partnerLevels: Array<Record<string, string>> = [
  { AV1: '2', DD1: '1' },
  { AV1: '2', DD1: '4' },
  { AV1: '3', DD1: '2' },
  { AV1: '3', DD1: '2' },
  { AV1: 'n', DD1: '2' },
  { AV1: 'n', DD1: '3' },
]

async function answerAndSubmit(context: TestContext, s: Scenario, partnerIndex: number): Promise<void> {
  const partner = s.partners[partnerIndex]!
  const organisationId = s.organisationIds[partnerIndex]!
  for (const domain of ['AV', 'LC', 'DD', 'GV']) {
    const body: Record<string, string> = {}
    for (const code of codes.filter((c) => c.startsWith(domain))) {
      const level = partnerLevels[partnerIndex]![code] ?? '3'
      body[`level-${code}`] = level === 'n' ? 'not-sure' : level
      body[`evidence-${code}`] = `${partner.name} evidence for ${code}`
    }
    const result = await context.services.assessments.save(
      { user: partner, ip: '127.0.0.1' },
      s.roundId,
      organisationId,
      domain,
      body,
      'complete',
    )
    expect(result.kind).toBe('saved')
  }
  await context.services.assessments.submit({ user: partner, ip: '127.0.0.1' }, s.roundId, organisationId, { declaration: true })
}

describe('aggregation of partners’ answers', () => {
  let context: TestContext
  let s: Scenario

  beforeAll(async () => {
    context = await createTestContext()
    s = await buildScenario(context)
    for (let i = 0; i < 6; i++) await answerAndSubmit(context, s, i)
    // A seventh partner saves but never submits: its answers must not count.
    await context.services.assessments.save(
      { user: s.partners[6]!, ip: undefined },
      s.roundId,
      s.organisationIds[6]!,
      'AV',
      { 'level-AV1': '4' },
      'save',
    )
  })
  afterAll(() => context.close())

  it('counts only submitted answers, with the spread, median (ties rounded down) and "Not sure yet"', async () => {
    const view = await context.services.placeReturns.view(s.icsLead, s.roundId, s.wirralId)
    expect(view.completion).toEqual({ submitted: 6, invited: 7, inProgress: 1, notStarted: 0 })
    const av1 = view.criteria.find((c) => c.criterion.code === 'AV1')!
    expect(av1.spread).toEqual({
      answered: 6,
      notSure: 2,
      counts: { 1: 0, 2: 2, 3: 2, 4: 0 },
      lowest: 2,
      highest: 3,
      median: 2,
      disagreement: false,
    })
    expect(av1.used).toEqual({ level: 2, source: 'partners', hasEvidence: true })
    const dd1 = view.criteria.find((c) => c.criterion.code === 'DD1')!
    expect(dd1.spread).toEqual({
      answered: 6,
      notSure: 0,
      counts: { 1: 1, 2: 3, 3: 1, 4: 1 },
      lowest: 1,
      highest: 4,
      median: 2,
      disagreement: true,
    })
    const lc1 = view.criteria.find((c) => c.criterion.code === 'LC1')!
    expect(lc1.spread).toMatchObject({ answered: 6, counts: { 3: 6 }, median: 3, disagreement: false })
  })

  it('gives a place with no submissions no levels, and an ICB-led recommendation that says why', async () => {
    const view = await context.services.placeReturns.view(s.icsLead, s.roundId, s.seftonId)
    expect(view.completion).toEqual({ submitted: 0, invited: 1, inProgress: 0, notStarted: 1 })
    expect(view.criteria.every((c) => c.spread.answered === 0 && c.spread.median === null && c.used.source === 'none')).toBe(true)
    expect(view.readiness.level).toBe(1)
    expect(view.readiness.blockingGateways).toEqual(['DD1', 'DD2', 'GV1', 'GV3'])
  })

  it('shows every partner’s answer side by side to the place lead, and hides the place from other partners', async () => {
    const lead = await signIn(context.app, 'lead.wirral@test.example', testDemoPassword)
    const page = await lead.get(`/rounds/${s.roundId}/places/${s.wirralId}/criteria/DD1`)
    expect(page.status).toBe(200)
    for (const name of partnerNames.slice(0, 6)) expect(page.text).toContain(name)
    expect(page.text).not.toContain('Healthwatch Wirral</th>')
    expect(page.text).toContain('Partners disagree by two levels or more')
    expect(page.text).toContain('Partner 1 evidence for DD1')
    const partner = await signIn(context.app, 'partner0@test.example', testDemoPassword)
    expect((await partner.get(`/rounds/${s.roundId}/places/${s.wirralId}`)).status).toBe(403)
  })
})

describe('a place return, assured, in the spirit of Wirral 2021', () => {
  it('six partners submit, the place lead agrees and submits, the ICS lead moderates one criterion and records a decision', async () => {
    const context = await createTestContext()
    try {
      const s = await buildScenario(context)
      for (let i = 0; i < 6; i++) await answerAndSubmit(context, s, i)
      const base = `/rounds/${s.roundId}/places/${s.wirralId}`

      const lead = await signIn(context.app, 'lead.wirral@test.example', testDemoPassword)
      const early = await submitForm(lead, base, `${base}/return/submit`, {})
      expect(early.status).toBe(400)
      expect(errorSummaryOf(early.text)).toHaveLength(16)

      const missing = await submitForm(lead, `${base}/criteria/AV1`, `${base}/criteria/AV1/position`, {
        level: '3',
        rationale: '',
        evidenceSummary: 'HWB minutes',
      })
      expect(missing.status).toBe(400)
      expect(errorSummaryOf(missing.text)).toEqual(['Enter the rationale for the agreed level'])
      expect(missing.text).toContain('HWB minutes')

      // The place agrees Maturing everywhere with evidence, except Digital (Developing).
      for (const code of codes) {
        const level = code === 'DD3' ? '2' : '3'
        const response = await submitForm(lead, `${base}/criteria/${code}`, `${base}/criteria/${code}/position`, {
          level,
          rationale: `Agreed by the ICP Delivery and Development Group for ${code}.`,
          evidenceSummary: `Evidence for ${code}`,
        })
        expect(response.status).toBe(303)
      }
      const submitted = await submitForm(lead, base, `${base}/return/submit`, {})
      expect(submitted.status).toBe(303)
      const locked = await submitForm(lead, `${base}/criteria/AV1`, `${base}/criteria/AV1/position`, {
        level: '1',
        rationale: 'Change after submission',
      })
      expect(locked.status).toBe(400)
      expect(errorSummaryOf(locked.text)).toEqual(['The place return has been submitted, so the agreed position can no longer change'])

      const ics = await signIn(context.app, 'ics@test.example', testDemoPassword)
      const before = await context.services.placeReturns.view(s.icsLead, s.roundId, s.wirralId)
      expect(before.readiness).toMatchObject({ level: 2, unmet: ['DD3'], blockingGateways: [] })

      // The ICS lead is not assured on the financial framework: Developing, not Maturing.
      const moderated = await submitForm(ics, `${base}/criteria/DD1`, `${base}/criteria/DD1/moderation`, {
        moderationLevel: '2',
        moderationComment: 'No joint financial plan yet; pooled budget agreed only in principle.',
      })
      expect(moderated.status).toBe(303)
      const after = await context.services.placeReturns.view(s.icsLead, s.roundId, s.wirralId)
      expect(after.criteria.find((c) => c.criterion.code === 'DD1')!.used).toEqual({ level: 2, source: 'moderation', hasEvidence: true })
      expect(after.readiness.level).toBe(2)
      expect(after.readiness.unmet).toEqual(['DD1', 'DD3'])
      expect(after.readiness.explanation).toEqual([
        'Recommended: Level 2 – Partial delegation. 14 of 16 criteria meet their thresholds.',
        'Thresholds met: AV1, AV2, AV3, LC1, LC2, LC3, LC4, DD2, DD4, GV1, GV2, GV3, GV4, GV5.',
        'Thresholds not met: DD1, DD3.',
        'DD1 Financial framework is at Developing, below the Maturing threshold.',
        'DD3 Enabler: Digital is at Developing, below the Maturing threshold.',
        'To reach Level 3 – Full delegation: DD1: reach Maturing with evidence (now Developing); DD3: reach Maturing with evidence (now Developing).',
      ])

      const noReason = await submitForm(ics, base, `${base}/decision`, {
        decisionLevel: '1',
        decisionRationale: 'Finance not ready.',
        'decidedOn-day': '12',
        'decidedOn-month': '1',
        'decidedOn-year': '2027',
        decidingBody: 'ICB Board',
        differenceReason: '',
      })
      expect(noReason.status).toBe(400)
      expect(errorSummaryOf(noReason.text)).toEqual([
        'Enter why the decision differs from the recommendation (Level 2 – Partial delegation)',
      ])
      expect(noReason.text).toContain('Finance not ready.')

      const decided = await submitForm(ics, base, `${base}/decision`, {
        decisionLevel: '1',
        decisionRationale: 'Finance not ready.',
        'decidedOn-day': '12',
        'decidedOn-month': '1',
        'decidedOn-year': '2027',
        decidingBody: 'ICB Board',
        differenceReason: 'The financial framework is a gateway for us until the joint financial plan is signed.',
      })
      expect(decided.status).toBe(303)
      const decision = (await context.services.placeReturns.view(s.icsLead, s.roundId, s.wirralId)).decision!
      expect(decision).toMatchObject({ recommendedLevel: 2, decidedLevel: 1, decidedOn: '2027-01-12', decidingBody: 'ICB Board' })
      expect(decision.recommendationSnapshot).toEqual(after.readiness.explanation)

      const page = await lead.get(`/places/${s.wirralId}`)
      expect(page.text).toContain('Recommended: Level 2 – Partial delegation')
      expect(page.text).toContain('Decided: Level 1 – ICB-led')
      expect(page.text).toContain('Differs from the recommendation')
      const kinds = (await context.db('audit_events').pluck('kind')) as string[]
      expect(kinds).toEqual(
        expect.arrayContaining(['position.agreed', 'place-return.submitted', 'criterion.moderated', 'decision.recorded']),
      )
      const csrfPage = await ics.get(base)
      expect(csrfFrom(csrfPage.text)).toBeTruthy()
    } finally {
      await context.close()
    }
  })
})

describe('the development plan and the place page', () => {
  it('adds and changes actions, shows overdue ones, carries open ones over, and shows the direction of travel', async () => {
    const context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    try {
      const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
      const lead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
      const page = await lead.get(`/places/${wirral.id}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain('Levels, and the direction of travel')
      expect(page.text).toMatch(/▲ Improved/)
      // Actions from the 2021 baseline that are still open carry over; the 2022 ones are overdue now.
      expect(page.text).toContain('From Place development self-assessment, October 2021')
      expect(page.text).toContain('Overdue')

      const council = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
      const invalid = await submitForm(lead, `/places/${wirral.id}`, `/places/${wirral.id}/actions`, {
        criterionCode: 'DD3',
        description: '',
        ownerOrganisationId: '',
        dueDate: '2027-02-30x',
        status: 'not_started',
      })
      expect(invalid.status).toBe(400)
      expect(errorSummaryOf(invalid.text)).toEqual(['Enter what the action is', 'Enter the due date as a real date'])
      // What was typed comes back with the errors; the blank form shown to the next visit stays blank.
      expect(invalid.text).toMatch(/<option value="DD3" selected>/)
      expect((await lead.get(`/places/${wirral.id}`)).text).not.toMatch(/<option value="DD3" selected>/)
      const added = await submitForm(lead, `/places/${wirral.id}`, `/places/${wirral.id}/actions`, {
        criterionCode: 'DD3',
        description: 'Shared care record live in every PCN',
        ownerOrganisationId: String(council.id),
        dueDate: '2026-10-31',
        status: 'in_progress',
      })
      expect(added.status).toBe(303)
      const action = (await context
        .db('development_actions')
        .where({ description: 'Shared care record live in every PCN' })
        .first('id')) as { id: number }
      let plan = await lead.get(`/places/${wirral.id}`)
      expect(plan.text).toMatch(
        /Shared care record live in every PCN[\s\S]*?Wirral Council[\s\S]*?31 October 2026 <strong class="nhsuk-tag nhsuk-tag--red">Overdue<\/strong>/,
      )
      const done = await submitForm(lead, `/places/${wirral.id}/actions/${action.id}`, `/places/${wirral.id}/actions/${action.id}`, {
        criterionCode: 'DD3',
        description: 'Shared care record live in every PCN',
        ownerOrganisationId: String(council.id),
        dueDate: '2026-10-31',
        status: 'done',
      })
      expect(done.status).toBe(303)
      plan = await lead.get(`/places/${wirral.id}`)
      const row = plan.text.slice(
        plan.text.indexOf('Shared care record'),
        plan.text.indexOf('</tr>', plan.text.indexOf('Shared care record')),
      )
      expect(row).toContain('Done')
      expect(row).not.toContain('Overdue')

      const viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
      const readOnly = await viewer.get(`/places/${wirral.id}`)
      expect(readOnly.status).toBe(200)
      expect(readOnly.text).not.toContain('Add an action')

      // The blank form's lists are kept, under the criteria and organisations they show: a renamed
      // or a new organisation is in the owner list at once.
      const ownerOptions = async () => {
        const text = (await lead.get(`/places/${wirral.id}`)).text
        const list = text.slice(text.indexOf('id="action-owner"'), text.indexOf('</select>', text.indexOf('id="action-owner"')))
        return [...list.matchAll(/<option value="(\d*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1], m[2]])
      }
      expect(await ownerOptions()).toContainEqual([String(council.id), 'Wirral Council'])
      await context.db('organisations').where({ id: council.id }).update({ name: 'Wirral Borough Council' })
      await context
        .db('organisations')
        .insert({ place_id: wirral.id, name: 'Wirral Carers Network', kind: 'vcse', created_at: timestamp(context.clock.now()) })
      const renamed = await ownerOptions()
      expect(renamed).toContainEqual([String(council.id), 'Wirral Borough Council'])
      expect(renamed).not.toContainEqual([String(council.id), 'Wirral Council'])
      expect(renamed.map(([, name]) => name)).toContain('Wirral Carers Network')
      const other = await submitForm(viewer, `/places/${wirral.id}`, `/places/${wirral.id}/actions`, {
        criterionCode: 'DD3',
        description: 'x',
        dueDate: '2027-01-01',
        status: 'done',
      })
      expect(other.status).toBe(403)
    } finally {
      await context.close()
    }
  })
})
