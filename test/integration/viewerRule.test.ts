import { escapeHtml } from '../../server/views/helpers'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn, type Agent } from '../helpers/session'

/**
 * Finding 13 of the hardening issue: a board viewer read every partner's level and evidence on a
 * criterion page, yet got 404 on that organisation's own answers. One rule, in the access module:
 * viewers see place returns, decisions and reports, not partners' working answers.
 */
describe('what a board viewer reads', () => {
  let context: TestContext
  let viewer: Agent
  let placeLead: Agent
  let base: string
  let organisationPath: string
  let partnerEvidence: string

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    const round = (await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }
    const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    const council = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
    base = `/rounds/${round.id}/places/${wirral.id}`
    organisationPath = `/rounds/${round.id}/organisations/${council.id}`
    // A submitted Wirral answer to DD1 with evidence, as the demo seeds them.
    const answer = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'r.round_id': round.id, 'o.place_id': wirral.id, 'r.status': 'submitted', 'c.code': 'DD1' })
      .whereNotNull('a.evidence')
      .first('a.evidence')) as { evidence: string }
    partnerEvidence = escapeHtml(answer.evidence)
    viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
  })
  afterAll(() => context.close())

  it('reads the place’s position on a criterion, not each partner’s level and evidence', async () => {
    const page = await viewer.get(`${base}/criteria/DD1`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('The place’s agreed position')
    expect(page.text).not.toContain(partnerEvidence)
    expect(page.text).not.toContain('Each partner’s submitted level and evidence')
    expect(page.text).toContain('read by the place lead and the ICS lead')
  })

  it('is refused a partner organisation’s answers, its CSV copy and its history alike', async () => {
    for (const path of [
      organisationPath,
      `${organisationPath}/domains/DD`,
      `${organisationPath}/check`,
      `${organisationPath}/answers.csv`,
    ]) {
      expect([path, (await viewer.get(path)).status]).toEqual([path, 404])
    }
  })

  it('leaves the place lead reading every partner’s answers side by side', async () => {
    const page = await placeLead.get(`${base}/criteria/DD1`)
    expect(page.text).toContain('Each partner’s submitted level and evidence')
    expect(page.text).toContain(partnerEvidence)
  })
})
