import request from 'supertest'
import { invitationLifetimeMs } from '../../server/services/invitationService'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countRows } from '../helpers/counts'
import { csrfFrom, errorSummaryOf, signIn, submitForm, type Agent } from '../helpers/session'
import { linkIn, mailTo, startSmtpServer } from '../helpers/smtp'

const newPassword = 'marble-otter-kettle-9'

async function organisationId(context: TestContext, name: string): Promise<number> {
  return ((await context.db('organisations').where({ name }).first('id')) as { id: number }).id
}

async function placeId(context: TestContext, name: string): Promise<number> {
  return ((await context.db('places').where({ name }).first('id')) as { id: number }).id
}

async function invite(agent: Agent, fields: Record<string, string>) {
  return submitForm(agent, '/admin/invitations', '/admin/invitations', fields)
}

/** Opens an invitation link in a fresh browser and accepts it with a password. */
async function accept(context: TestContext, path: string, password = newPassword) {
  const browser = request.agent(context.app)
  const page = await browser.get(path)
  // A link that no longer works shows no form; a real browser could still post, with a token from elsewhere.
  const token = page.status === 200 ? csrfFrom(page.text) : csrfFrom((await browser.get('/sign-in')).text)
  const response = await browser.post(path).type('form').send({ _csrf: token, password, confirmPassword: password })
  return { browser, page, response }
}

describe('invitations by e-mail', () => {
  let context: TestContext
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let lead: Agent

  beforeEach(async () => {
    smtp = await startSmtpServer()
    context = await createTestContext({ demo: true, env: { SMTP_URL: smtp.url, BASE_URL: 'https://placeready.test' } })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  })
  afterEach(async () => {
    await context.close()
    await smtp.close()
  })

  it('invites a partner, who receives the mail, accepts, sets a password and lands on their home page', async () => {
    const sent = await invite(lead, {
      name: 'Jo Bloggs',
      email: 'Jo.Bloggs@Wirral.example.org',
      role: 'partner',
      organisationId: String(await organisationId(context, 'Healthwatch Wirral')),
    })
    expect(sent.status).toBe(303)
    const mail = await mailTo(smtp.received, 'jo.bloggs@wirral.example.org')
    expect(mail.subject).toBe('You are invited to PlaceReady for Wirral')
    expect(mail.text).toContain('Morgan Ellis has invited you to PlaceReady as partner respondent for Healthwatch Wirral, Wirral')
    expect(mail.text).toContain('https://placeready.test/invitations/')
    const path = linkIn(mail.text, '/invitations')

    const { page, response, browser } = await accept(context, path)
    expect(page.text).toContain('Healthwatch Wirral, Wirral')
    expect(response.status).toBe(303)
    expect(response.headers.location).toBe('/home')
    const home = await browser.get('/home')
    expect(home.text).toContain('Welcome, Jo Bloggs')
    expect(home.text).toContain('Partner respondent – Healthwatch Wirral, Wirral')

    const again = await signIn(context.app, 'jo.bloggs@wirral.example.org', newPassword)
    expect((await again.get('/home')).status).toBe(200)
    expect(await context.db('audit_events').where({ kind: 'invitation.accepted' }).first()).toBeDefined()
  })

  it('stores only a hash of the token', async () => {
    await invite(lead, { name: 'Hash Check', email: 'hash@example.org', role: 'viewer' })
    const path = linkIn((await mailTo(smtp.received, 'hash@example.org')).text, '/invitations')
    const token = path.split('/').pop()!
    const stored = (await context
      .db('one_time_tokens as t')
      .join('invitations as n', 'n.id', 't.invitation_id')
      .where('n.email', 'hash@example.org')
      .pluck('t.token_hash')) as string[]
    expect(stored).toHaveLength(1)
    expect(stored[0]).not.toContain(token)
    expect(stored[0]).toMatch(/^[0-9a-f]{64}$/)
  })

  it('refuses a used link with a clear page and signs nobody in', async () => {
    await invite(lead, { name: 'Once Only', email: 'once@example.org', role: 'viewer' })
    const path = linkIn((await mailTo(smtp.received, 'once@example.org')).text, '/invitations')
    expect((await accept(context, path)).response.status).toBe(303)
    const { page, response, browser } = await accept(context, path, 'another-password-77')
    expect(page.status).toBe(410)
    expect(page.text).toContain('This link has already been used')
    expect(response.status).toBe(410)
    expect((await browser.get('/home')).status).toBe(303)
  })

  it('refuses an expired link after 14 days', async () => {
    const memberships = await countRows(context.db, 'memberships')
    await invite(lead, { name: 'Late Comer', email: 'late@example.org', role: 'viewer' })
    const path = linkIn((await mailTo(smtp.received, 'late@example.org')).text, '/invitations')
    context.clock.advance(invitationLifetimeMs + 1000)
    const { page, browser } = await accept(context, path)
    expect(page.status).toBe(410)
    expect(page.text).toContain('This link has expired')
    expect((await browser.get('/home')).status).toBe(303)
    expect(await countRows(context.db, 'memberships')).toBe(memberships)
  })

  it('refuses a revoked invitation, and a resent one replaces the old link', async () => {
    await invite(lead, { name: 'Changed Mind', email: 'changed@example.org', role: 'viewer' })
    const first = linkIn((await mailTo(smtp.received, 'changed@example.org')).text, '/invitations')
    const id = ((await context.db('invitations').where({ email: 'changed@example.org' }).first('id')) as { id: number }).id

    expect((await submitForm(lead, '/admin/invitations', `/admin/invitations/${id}/resend`, {})).status).toBe(303)
    const second = linkIn((await mailTo(smtp.received, 'changed@example.org', 2)).text, '/invitations')
    expect(second).not.toBe(first)
    expect((await request(context.app).get(first)).text).toContain('This link has been withdrawn')
    expect((await request(context.app).get(second)).status).toBe(200)

    expect((await submitForm(lead, '/admin/invitations', `/admin/invitations/${id}/revoke`, {})).status).toBe(303)
    const { page, response, browser } = await accept(context, second)
    expect(page.text).toContain('This link has been withdrawn')
    expect(response.status).toBe(410)
    expect((await browser.get('/home')).status).toBe(303)
    const kinds = (await context.db('audit_events').orderBy('id').pluck('kind')) as string[]
    expect(kinds).toEqual(expect.arrayContaining(['invitation.sent', 'invitation.resent', 'invitation.revoked']))
  })

  it('refuses an unknown link with a clear page', async () => {
    const response = await request(context.app).get('/invitations/not-a-real-token')
    expect(response.status).toBe(404)
    expect(response.text).toContain('This link is not valid')
  })

  it.each([
    ['short', 'short', 'Password must be 12 characters or more'],
    ['password1234', 'password1234', 'Password is too common – choose one that is harder to guess, such as three random words'],
    ['a-good-long-password', 'a-different-one-here', 'The passwords do not match – enter the same password twice'],
  ])('rejects the password %j with an error summary, and the link still works', async (password, confirmPassword, message) => {
    await invite(lead, { name: 'Weak Password', email: 'weak@example.org', role: 'viewer' })
    const path = linkIn((await mailTo(smtp.received, 'weak@example.org')).text, '/invitations')
    const browser = request.agent(context.app)
    const page = await browser.get(path)
    const response = await browser
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password, confirmPassword })
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual([message])
    expect((await accept(context, path)).response.status).toBe(303)
  })

  it('validates the invitation form and keeps what was typed', async () => {
    const invitations = await countRows(context.db, 'invitations')
    const response = await invite(lead, { name: 'Half Done', email: 'not-an-email', role: 'partner', organisationId: '' })
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual(['Enter an email address in the correct format, like name@example.org'])
    expect(response.text).toContain('value="Half Done"')
    expect(response.text).toContain('value="not-an-email"')
    const noOrganisation = await invite(lead, { name: 'Half Done', email: 'half@example.org', role: 'partner', organisationId: '' })
    expect(noOrganisation.status).toBe(400)
    expect(errorSummaryOf(noOrganisation.text)).toEqual(['Select the partner organisation'])
    expect(await countRows(context.db, 'invitations')).toBe(invitations)
  })

  it('lets a place lead invite partners of their own place only', async () => {
    const placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
    // The demo's own invitations (to Wirral's contacts) are there already.
    const demoInvitations = (await context.db('invitations').pluck('email')) as string[]
    const page = await placeLead.get('/admin/invitations')
    expect(page.text).toContain('Wirral Council')
    expect(page.text).not.toContain('Liverpool City Council')
    const own = await invite(placeLead, {
      name: 'Own Place',
      email: 'own@example.org',
      role: 'partner',
      organisationId: String(await organisationId(context, 'Wirral Council')),
    })
    expect(own.status).toBe(303)
    const other = await invite(placeLead, {
      name: 'Other Place',
      email: 'other@example.org',
      role: 'partner',
      organisationId: String(await organisationId(context, 'Liverpool City Council')),
    })
    expect(other.status).toBe(400)
    const lead = await invite(placeLead, { name: 'Power Grab', email: 'grab@example.org', role: 'ics_lead' })
    expect(lead.status).toBe(400)
    expect(errorSummaryOf(lead.text)).toEqual(['You can only invite partner respondents for your own place'])
    expect(((await context.db('invitations').whereNotIn('email', demoInvitations).pluck('email')) as string[]).sort()).toEqual([
      'own@example.org',
    ])
  })

  it('refuses to invite someone to a role they already have', async () => {
    const response = await invite(lead, {
      name: 'Sam Taylor',
      email: 'partner.wirral.council@example.org',
      role: 'partner',
      organisationId: String(await organisationId(context, 'Wirral Council')),
    })
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text)).toEqual(['partner.wirral.council@example.org already has this role'])
  })

  it('adds a new role to an existing account without asking for a new password', async () => {
    await invite(lead, {
      name: 'Priya Shah',
      email: 'place.lead.wirral@example.org',
      role: 'viewer',
      placeId: String(await placeId(context, 'Sefton')),
    })
    const path = linkIn((await mailTo(smtp.received, 'place.lead.wirral@example.org')).text, '/invitations')
    const browser = request.agent(context.app)
    const page = await browser.get(path)
    expect(page.text).toContain('You already have a PlaceReady account')
    const response = await browser
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
    expect(response.status).toBe(303)
    const home = await browser.get('/home')
    expect(home.text).toContain('Board viewer – Sefton')
    expect(home.text).toContain('Place lead – Wirral')
  })
})

describe('the outbox, when no mail server is configured', () => {
  it('keeps the mail for the ICS lead to read, with the link', async () => {
    const context = await createTestContext({ demo: true })
    try {
      const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
      await invite(lead, { name: 'Outbox Reader', email: 'reader@example.org', role: 'viewer' })
      const outbox = await lead.get('/admin/outbox')
      expect(outbox.text).toContain('reader@example.org')
      expect(outbox.text).toContain('Held in the outbox')
      const id = ((await context.db('outbox').first('id')) as { id: number }).id
      const message = await lead.get(`/admin/outbox/${id}`)
      const path = linkIn(message.text, '/invitations')
      expect((await accept(context, path)).response.status).toBe(303)
      const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
      expect((await partner.get(`/admin/outbox/${id}`)).status).toBe(403)
    } finally {
      await context.close()
    }
  })
})

describe('forgotten password', () => {
  let context: TestContext
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>

  beforeEach(async () => {
    smtp = await startSmtpServer()
    context = await createTestContext({ demo: true, env: { SMTP_URL: smtp.url } })
  })
  afterEach(async () => {
    await context.close()
    await smtp.close()
  })

  async function ask(email: string) {
    const browser = request.agent(context.app)
    return submitForm(browser, '/forgotten-password', '/forgotten-password', { email })
  }

  it('gives the same answer for an unknown address, and sends nothing', async () => {
    const known = await ask('board.viewer@example.org')
    const unknown = await ask('nobody@example.org')
    expect(unknown.status).toBe(known.status)
    expect(unknown.text.replace('nobody@example.org', 'X')).toBe(known.text.replace('board.viewer@example.org', 'X'))
    await mailTo(smtp.received, 'board.viewer@example.org')
    expect(smtp.received.some((m) => m.to.includes('nobody@example.org'))).toBe(false)
  })

  it('resets the password with the link once, ending the user’s other sessions', async () => {
    const elsewhere = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
    await ask('board.viewer@example.org')
    const path = linkIn((await mailTo(smtp.received, 'board.viewer@example.org')).text, '/reset-password')
    const browser = request.agent(context.app)
    const page = await browser.get(path)
    const response = await browser
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: newPassword, confirmPassword: newPassword })
    expect(response.status).toBe(303)
    expect((await browser.get('/home')).status).toBe(200)
    expect((await elsewhere.get('/home')).status).toBe(303)
    await signIn(context.app, 'board.viewer@example.org', newPassword)
    expect((await browser.get(path)).status).toBe(410)
  })
})
