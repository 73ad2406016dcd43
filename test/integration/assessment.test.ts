import request from 'supertest'
import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, errorSummaryOf, formFieldsOf, signIn, type Agent } from '../helpers/session'
import { mailTo, startSmtpServer } from '../helpers/smtp'
import { addPartner } from '../helpers/users'

const partnerEmail = 'healthwatch.partner@example.org'
const colleagueEmail = 'healthwatch.colleague@example.org'

const domains: Record<string, string[]> = {
  AV: ['AV1', 'AV2', 'AV3'],
  LC: ['LC1', 'LC2', 'LC3', 'LC4'],
  DD: ['DD1', 'DD2', 'DD3', 'DD4'],
  GV: ['GV1', 'GV2', 'GV3', 'GV4', 'GV5'],
}

interface Setup {
  context: TestContext
  roundId: number
  organisationId: number
  base: string
}

async function setUp(env: Record<string, string> = {}): Promise<Setup> {
  const context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000', ...env } })
  await addPartner(context, partnerEmail, 'Healthwatch Wirral', 'Hana Patel')
  await addPartner(context, colleagueEmail, 'Healthwatch Wirral', 'Chris Okoro')
  const roundId = ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
  const organisationId = ((await context.db('organisations').where({ name: 'Healthwatch Wirral' }).first('id')) as { id: number }).id
  return { context, roundId, organisationId, base: `/rounds/${roundId}/organisations/${organisationId}` }
}

/** Opens a domain page and posts its form back with these fields changed, as a browser would. */
async function postDomain(
  agent: Agent,
  base: string,
  domain: string,
  fields: Record<string, string>,
  action = 'save-and-return',
  options: { json?: boolean; page?: string } = {},
) {
  const page = options.page ?? (await agent.get(`${base}/domains/${domain}`)).text
  const form: Record<string, string> = { ...formFieldsOf(page, '<form method="post" action="/rounds/'), _csrf: csrfFrom(page), action }
  const post = agent.post(`${base}/domains/${domain}`).type('form')
  if (options.json) post.set('Accept', 'application/json')
  return post.send({ ...form, ...fields })
}

function answersFor(codes: string[], level = '3'): Record<string, string> {
  return Object.fromEntries(
    codes.flatMap((code) => [
      [`level-${code}`, level],
      [`evidence-${code}`, `Evidence for ${code}: minutes of the partnership board.`],
    ]),
  )
}

/** The answer saved for a criterion in the current (newest) round. */
async function storedAnswer(context: TestContext, organisationId: number, code: string) {
  const round = (await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }
  return context
    .db('answers as a')
    .join('responses as r', 'r.id', 'a.response_id')
    .join('framework_criteria as c', 'c.id', 'a.criterion_id')
    .where({ 'r.organisation_id': organisationId, 'r.round_id': round.id, 'c.code': code })
    .first('a.level', 'a.evidence', 'a.version')
}

describe('a partner’s self-assessment, from first answer to submission', () => {
  it('answers across sessions, fails validation once, completes, checks, submits, and is then locked', async () => {
    const smtp = await startSmtpServer()
    const { context, base, organisationId } = await setUp({ SMTP_URL: smtp.url })
    try {
      let partner = await signIn(context.app, partnerEmail, testDemoPassword)
      const overview = await partner.get('/assessments')
      expect(overview.text).toContain('Place development self-assessment, December 2026')
      expect(overview.text).toContain('0 of 16 answered')
      expect(overview.text).toContain('Not started')
      expect(overview.text).toContain('21 days left')
      expect(overview.text).toContain('13 December 2026 at 17:00')

      const first = await postDomain(partner, base, 'AV', {
        'level-AV1': '3',
        'evidence-AV1': 'Shared vision approved by the HWB.',
        'level-AV2': '2',
      })
      expect(first.status).toBe(303)
      expect(first.headers.location).toBe(base)
      const taskList = await partner.get(base)
      expect(taskList.text).toContain('<strong>2 of 16</strong>')
      expect(taskList.text).toMatch(/Ambition &amp; vision[\s\S]*?In progress/)

      // A new session: the answers are still there.
      await partner
        .post('/sign-out')
        .type('form')
        .send({ _csrf: csrfFrom(taskList.text) })
      partner = await signIn(context.app, partnerEmail, testDemoPassword)
      const page = await partner.get(`${base}/domains/AV`)
      expect(page.text).toContain('Shared vision approved by the HWB.')
      expect(page.text).toMatch(/id="level-AV1-3" name="level-AV1" type="radio" value="3" checked/)

      const failed = await postDomain(
        partner,
        base,
        'AV',
        { 'level-AV3': '4', 'evidence-AV1': 'Shared vision approved by the HWB, March.' },
        'complete',
      )
      expect(failed.status).toBe(400)
      expect(errorSummaryOf(failed.text)).toEqual(['Enter the evidence for AV3 – evidence is needed for a level of Maturing or above'])
      expect(failed.text).toContain('Shared vision approved by the HWB, March.')
      expect(failed.text).toMatch(/id="level-AV3-4" name="level-AV3" type="radio" value="4" checked/)
      expect(failed.text).toContain('href="#evidence-AV3"')
      expect((await storedAnswer(context, organisationId, 'AV1')).evidence).toBe('Shared vision approved by the HWB.')

      for (const [domain, codes] of Object.entries(domains)) {
        const done = await postDomain(partner, base, domain, answersFor(codes), 'complete')
        expect(done.status).toBe(303)
      }
      const complete = await partner.get(base)
      expect(complete.text).toContain('<strong>16 of 16</strong>')
      expect(complete.text).toContain('Check your answers and submit')

      const check = await partner.get(`${base}/check`)
      expect(check.text).toContain('Check your answers before you submit')
      expect(check.text).toContain(`href="${base}/domains/GV#criterion-GV5"`)
      const undeclared = await partner
        .post(`${base}/submit`)
        .type('form')
        .send({ _csrf: csrfFrom(check.text) })
      expect(undeclared.status).toBe(400)
      expect(errorSummaryOf(undeclared.text)).toEqual(['Confirm that these answers reflect the view of Healthwatch Wirral'])

      const submitted = await partner
        .post(`${base}/submit`)
        .type('form')
        .send({ _csrf: csrfFrom(check.text), declaration: 'yes' })
      expect(submitted.headers.location).toBe(`${base}/confirmation`)
      const confirmation = await partner.get(`${base}/confirmation`)
      const reference = /<strong>(PR-\d{4}-\d{5})<\/strong>/.exec(confirmation.text)![1]!
      const mail = await mailTo(smtp.received, partnerEmail)
      expect(mail.subject).toBe(`Submitted: Healthwatch Wirral self-assessment, reference ${reference}`)

      const locked = await postDomain(
        partner,
        base,
        'AV',
        { 'level-AV1': '1', 'evidence-AV1': 'Trying to change it after submitting' },
        'save-and-return',
        { page: check.text },
      )
      expect(locked.status).toBe(403)
      expect(locked.text).toContain('can no longer be changed, so what you typed below has not been saved')
      expect(locked.text).toContain('Trying to change it after submitting')
      expect((await storedAnswer(context, organisationId, 'AV1')).level).toBe(3)
      const readOnly = await partner.get(`${base}/domains/AV`)
      expect(readOnly.text).not.toContain('type="radio"')
      expect(readOnly.text).toContain(`Reference <strong>${reference}</strong>`)
    } finally {
      await context.close()
      await smtp.close()
    }
  })
})

describe('saving answers', () => {
  let setup: Setup
  beforeEach(async () => {
    setup = await setUp()
  })
  afterEach(() => setup.context.close())

  it('refuses a save based on an older version, showing both versions and keeping the user’s text', async () => {
    const { context, base, organisationId } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const chris = await signIn(context.app, colleagueEmail, testDemoPassword)
    const hanasPage = (await hana.get(`${base}/domains/AV`)).text
    context.clock.advance(5 * 60_000)
    expect((await postDomain(chris, base, 'AV', { 'level-AV1': '2', 'evidence-AV1': 'Chris: draft vision only.' })).status).toBe(303)

    const conflict = await postDomain(
      hana,
      base,
      'AV',
      { 'level-AV1': '3', 'evidence-AV1': 'Hana: vision approved in March.' },
      'save-and-return',
      { page: hanasPage },
    )
    expect(conflict.status).toBe(409)
    expect(conflict.text).toContain('Someone else changed these answers')
    expect(conflict.text).toMatch(/AV1<\/a> was changed by Chris Okoro at 22 November 2026 at 10:05/)
    expect(conflict.text).toContain('Chris: draft vision only.')
    expect(conflict.text).toContain('Hana: vision approved in March.')
    expect((await storedAnswer(context, organisationId, 'AV1')).evidence).toBe('Chris: draft vision only.')

    // Saving again from the conflict page is a deliberate choice to keep Hana's version.
    const kept = await postDomain(hana, base, 'AV', {}, 'save-and-return', { page: conflict.text })
    expect(kept.status).toBe(303)
    const stored = await storedAnswer(context, organisationId, 'AV1')
    expect(stored).toMatchObject({ level: 3, evidence: 'Hana: vision approved in March.', version: 2 })
  })

  it('shows each criterion as it is saved now, however it was changed, as a form to its partners and read-only to the ICS lead', async () => {
    const { context, base, organisationId } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const chris = await signIn(context.app, colleagueEmail, testDemoPassword)
    const evidenceShown = async (agent: Agent) =>
      /id="evidence-AV1"[^>]*>([^<]*)<\/textarea>/.exec((await agent.get(`${base}/domains/AV`)).text)?.[1]
    expect(await evidenceShown(hana)).toBe('')
    expect((await postDomain(chris, base, 'AV', { 'level-AV1': '2', 'evidence-AV1': 'Board minutes, May' })).status).toBe(303)
    expect(await evidenceShown(hana)).toBe('Board minutes, May')
    expect((await hana.get(`${base}/domains/AV`)).text).toMatch(/id="level-AV1-2"[^>]* value="2" checked/)
    // Changed with no new version (as a database restored by hand could leave it): the page shows what is stored.
    const stored = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'r.organisation_id': organisationId, 'r.round_id': setup.roundId, 'c.code': 'AV1' })
      .first('a.id', 'a.version')) as { id: number; version: number }
    await context.db('answers').where({ id: stored.id }).update({ evidence: 'Restored & reviewed', level: 4 })
    expect(await evidenceShown(hana)).toBe('Restored &amp; reviewed')
    expect((await hana.get(`${base}/domains/AV`)).text).toMatch(/id="level-AV1-4"[^>]* value="4" checked/)
    expect((await storedAnswer(context, organisationId, 'AV1')).version).toBe(stored.version)
    // The same answer, read by the ICS lead: shown, but not as a form.
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const read = (await lead.get(`${base}/domains/AV`)).text
    expect(read).not.toContain('id="evidence-AV1"')
    expect(read).toContain('Restored &amp; reviewed')
    expect(await evidenceShown(hana)).toBe('Restored &amp; reviewed')
  })

  it('lets two colleagues change different criteria at the same time', async () => {
    const { context, base, organisationId } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const chris = await signIn(context.app, colleagueEmail, testDemoPassword)
    const hanasPage = (await hana.get(`${base}/domains/AV`)).text
    expect((await postDomain(chris, base, 'AV', { 'level-AV2': '2' })).status).toBe(303)
    expect((await postDomain(hana, base, 'AV', { 'level-AV1': '3' }, 'save-and-return', { page: hanasPage })).status).toBe(303)
    expect((await storedAnswer(context, organisationId, 'AV1')).level).toBe(3)
    expect((await storedAnswer(context, organisationId, 'AV2')).level).toBe(2)
  })

  it('autosaves as JSON, with new versions, and answers a conflict with 409', async () => {
    const { context, base } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const page = (await hana.get(`${base}/domains/AV`)).text
    const saved = await postDomain(hana, base, 'AV', { 'evidence-AV1': 'Typed, then paused' }, 'save', { json: true, page })
    expect(saved.status).toBe(200)
    expect(saved.body).toMatchObject({ versions: { AV1: 1, AV2: 0, AV3: 0 }, savedAtText: '22 November 2026 at 10:00' })
    const stale = await postDomain(hana, base, 'AV', { 'evidence-AV1': 'From the stale page' }, 'save', { json: true, page })
    expect(stale.status).toBe(409)
    expect(stale.body.error.code).toBe('conflict')
    expect(stale.body.error.message).toContain('AV1 was changed by Hana Patel')
  })

  it('keeps what was typed when the session timed out, and offers it back after signing in', async () => {
    const { context, base, organisationId } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const page = (await hana.get(`${base}/domains/AV`)).text
    context.clock.advance(45 * 60_000)
    const json = await postDomain(hana, base, 'AV', { 'evidence-AV1': 'Typed during a long phone call' }, 'save', { json: true, page })
    expect(json.status).toBe(401)
    const posted = await postDomain(
      hana,
      base,
      'AV',
      { 'level-AV1': '2', 'evidence-AV1': 'Typed during a long phone call' },
      'save-and-return',
      { page },
    )
    expect(posted.status).toBe(303)
    expect(posted.headers.location).toBe('/signed-out')
    expect(await storedAnswer(context, organisationId, 'AV1')).toBeUndefined()

    const signInPage = await hana.get('/sign-in')
    const back = await hana
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(signInPage.text), email: partnerEmail, password: testDemoPassword })
    expect(back.headers.location).toBe(`${base}/domains/AV`)
    const restored = await hana.get(`${base}/domains/AV`)
    expect(restored.text).toContain('We have kept what you typed below')
    expect(restored.text).toContain('Typed during a long phone call')
    expect(restored.text).toMatch(/value="2" checked/)
    expect((await postDomain(hana, base, 'AV', {}, 'save-and-return', { page: restored.text })).status).toBe(303)
    expect((await storedAnswer(context, organisationId, 'AV1')).evidence).toBe('Typed during a long phone call')
  })

  it('does not offer one user’s kept form to someone else who signs in on the same browser', async () => {
    const { context, base } = setup
    const browser = await signIn(context.app, partnerEmail, testDemoPassword)
    const page = (await browser.get(`${base}/domains/AV`)).text
    context.clock.advance(45 * 60_000)
    await postDomain(browser, base, 'AV', { 'evidence-AV1': 'Private draft of Hana' }, 'save-and-return', { page })
    const signInPage = await browser.get('/sign-in')
    await browser
      .post('/sign-in')
      .type('form')
      .send({ _csrf: csrfFrom(signInPage.text), email: colleagueEmail, password: testDemoPassword })
    expect((await browser.get(`${base}/domains/AV`)).text).not.toContain('Private draft of Hana')
  })

  it('keeps the history of an answer: old value, new value, who and when', async () => {
    const { context, base } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    await postDomain(hana, base, 'AV', { 'level-AV1': '1', 'evidence-AV1': 'First thoughts' })
    context.clock.advance(60 * 60_000)
    const chris = await signIn(context.app, colleagueEmail, testDemoPassword)
    await postDomain(chris, base, 'AV', { 'level-AV1': '3', 'evidence-AV1': 'Board approved the vision' })
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const history = await lead.get(`${base}/criteria/AV1/history`)
    expect(history.status).toBe(200)
    const entries = [
      ...history.text.matchAll(/<h2 class="nhsuk-card__heading nhsuk-heading-s">([^<]+)<\/h2>[\s\S]*?From ([^<]+) to ([^<]+)<\/dd>/g),
    ].map((m) => [m[1], m[2], m[3]])
    expect(entries).toEqual([
      ['22 November 2026 at 11:00 – Chris Okoro', '1 – Emerging', '3 – Maturing'],
      ['22 November 2026 at 10:00 – Hana Patel', 'No answer', '1 – Emerging'],
    ])
    expect(history.text).toContain('Board approved the vision')
  })

  it('un-completes a completed domain whose answers no longer meet the rules', async () => {
    const { context, base } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    await postDomain(hana, base, 'AV', answersFor(domains.AV!), 'complete')
    expect((await hana.get(base)).text).toMatch(/Ambition &amp; vision[\s\S]*?Completed/)
    await postDomain(hana, base, 'AV', { 'evidence-AV2': '' })
    expect((await hana.get(base)).text).toMatch(/Ambition &amp; vision[\s\S]*?In progress/)
  })

  it('rejects a partner of another organisation with 404', async () => {
    const { context, base } = setup
    const other = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    expect((await other.get(base)).status).toBe(404)
    const ownPage = await other.get('/home')
    const response = await other
      .post(`${base}/domains/AV`)
      .type('form')
      .send({ _csrf: csrfFrom(ownPage.text), 'level-AV1': '4' })
    expect(response.status).toBe(404)
  })
})

describe('the deadline', () => {
  let setup: Setup
  beforeEach(async () => {
    setup = await setUp()
  })
  afterEach(() => setup.context.close())

  it('stops editing after the round closes without losing anything, until the ICS lead extends it', async () => {
    const { context, base, roundId, organisationId } = setup
    let hana = await signIn(context.app, partnerEmail, testDemoPassword)
    await postDomain(hana, base, 'AV', { 'level-AV1': '2', 'evidence-AV1': 'Saved before the deadline' })
    const page = (await hana.get(`${base}/domains/AV`)).text
    const round = (await context.db('rounds').where({ id: roundId }).first('closes_at')) as { closes_at: unknown }
    context.clock.set(new Date(new Date(round.closes_at instanceof Date ? round.closes_at : String(round.closes_at)).getTime() + 60_000))

    // Typed before the deadline, sent after it (in a fresh session, so the idle timeout is not what stops it).
    hana = await signIn(context.app, partnerEmail, testDemoPassword)
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const fresh = (await hana.get(`${base}/domains/AV`)).text
    const { _csrf: _oldToken, ...typedBefore } = formFieldsOf(page, '<form method="post" action="/rounds/')
    const late = await postDomain(hana, base, 'AV', { ...typedBefore, 'evidence-AV1': 'Typed after the deadline' }, 'save-and-return', {
      page: fresh,
    })
    expect(late.status).toBe(403)
    expect(late.text).toContain('Typed after the deadline')
    expect(late.text).toContain('This round has closed')
    expect((await storedAnswer(context, organisationId, 'AV1')).evidence).toBe('Saved before the deadline')
    expect((await hana.get('/assessments')).text).toContain('Closed')

    const manage = await lead.get(`/rounds/${roundId}/manage`)
    const invalid = await lead
      .post(`/rounds/${roundId}/extend`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text), 'until-day': '31', 'until-month': '2', 'until-year': '2027', reason: 'Partners asked' })
    expect(invalid.status).toBe(400)
    expect(errorSummaryOf(invalid.text)).toEqual(['Enter the new deadline as a real date'])
    expect(invalid.text).toContain('value="31"')
    const extended = await lead
      .post(`/rounds/${roundId}/extend`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text), 'until-day': '19', 'until-month': '12', 'until-year': '2026', reason: 'Board meeting moved' })
    expect(extended.status).toBe(303)
    expect((await postDomain(hana, base, 'AV', { 'evidence-AV1': 'Typed after the extension' })).status).toBe(303)
    const event = (await context.db('audit_events').where({ kind: 'round.extended' }).first('details')) as { details: string }
    expect(JSON.parse(event.details)).toMatchObject({ reason: 'Board meeting moved', to: '2026-12-19T17:00:00.000Z' })
  })

  it('lets the ICS lead reopen one submitted response, with a reason', async () => {
    const { context, base, roundId } = setup
    const hana = await signIn(context.app, partnerEmail, testDemoPassword)
    for (const [domain, codes] of Object.entries(domains)) await postDomain(hana, base, domain, answersFor(codes), 'complete')
    const check = await hana.get(`${base}/check`)
    await hana
      .post(`${base}/submit`)
      .type('form')
      .send({ _csrf: csrfFrom(check.text), declaration: 'yes' })
    expect((await postDomain(hana, base, 'AV', { 'level-AV1': '1' }, 'save-and-return', { page: check.text })).status).toBe(403)

    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const wirralId = ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id
    // The round's page lists places; each place's page its organisations, with their buttons.
    expect((await lead.get(`/rounds/${roundId}/manage`)).text).toContain(`/rounds/${roundId}/manage/places/${wirralId}`)
    const manage = await lead.get(`/rounds/${roundId}/manage/places/${wirralId}`)
    expect(manage.text).toContain('Healthwatch Wirral')
    const organisationId = base.split('/').pop()!
    const noReason = await lead
      .post(`${base}/reopen`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text), reason: ' ' })
    expect(noReason.status).toBe(400)
    expect(errorSummaryOf(noReason.text)).toEqual(['Enter the reason for reopening'])
    expect(noReason.text).toContain(`id="reason-${organisationId}"`)
    await lead
      .post(`${base}/reopen`)
      .type('form')
      .send({ _csrf: csrfFrom(manage.text), reason: 'Wrong evidence attached for DD1' })
    expect((await postDomain(hana, base, 'DD', { 'level-DD1': '2' })).status).toBe(303)
    const event = (await context.db('audit_events').where({ kind: 'response.reopened' }).first('details')) as { details: string }
    expect(JSON.parse(event.details)).toEqual({ reason: 'Wrong evidence attached for DD1' })
  })
})

describe('the demo partner', () => {
  it('sees the open round part-answered, with their organisation’s saved answers', async () => {
    const context = await createTestContext({ demo: true })
    try {
      const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
      const overview = await partner.get('/assessments')
      expect(overview.text).toContain('7 of 16 answered')
      expect(overview.text).toContain('In progress')
      expect(overview.text).toContain('Place development self-assessment, October 2021')
      // The demo's next round has not opened: its card says so and when it opens, never "Closed".
      const next = (await context.db('rounds').where('opens_at', '>', timestamp()).first('id', 'title')) as { id: number; title: string }
      const card = cardOf(overview.text, next.id)
      expect(card).toContain(next.title)
      expect(card).toContain('>Not open yet</strong>')
      expect(card).toMatch(
        /<dt class="nhsuk-summary-list__key">Opens<\/dt><dd class="nhsuk-summary-list__value">\d{1,2} \w+ \d{4} at \d{2}:\d{2}<\/dd>/,
      )
      expect(card).not.toContain('Closed')
      const home = await partner.get('/home')
      expect(home.text).toContain('href="/assessments"')
      expect((await request(context.app).get('/assessments')).status).toBe(303)
    } finally {
      await context.close()
    }
  })
})

/** The overview's card of one round (from its heading to the end of its section). */
function cardOf(html: string, roundId: number): string {
  const start = html.indexOf(`id="round-${roundId}-`)
  expect(start).toBeGreaterThan(-1)
  return html.slice(start, html.indexOf('</section>', start))
}
