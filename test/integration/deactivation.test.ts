import request from 'supertest'
import { toBoolean } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, signIn, submitForm, type Agent } from '../helpers/session'
import { linkIn } from '../helpers/smtp'
import { addUser } from '../helpers/users'

/**
 * Finding 1 of the hardening issue: a place lead could give a deactivated ICS lead their role
 * back, because accepting an invitation reactivated the account with every old membership.
 * Deactivation must hold everywhere: invitations, reset links, and the sender's own rights.
 */

const newPassword = 'marble-otter-kettle-9'

async function latestLinkTo(context: TestContext, email: string, path: string): Promise<string> {
  const mail = (await context.db('outbox').where({ to_address: email }).orderBy('id', 'desc').first('text_body')) as { text_body: string }
  return linkIn(mail.text_body, path)
}

/** Opens a link in a fresh browser and posts a new password to it, as the person would. */
async function followWithPassword(context: TestContext, path: string) {
  const browser = request.agent(context.app)
  const page = await browser.get(path)
  const token = page.status === 200 ? csrfFrom(page.text) : csrfFrom((await browser.get('/sign-in')).text)
  const response = await browser.post(path).type('form').send({ _csrf: token, password: newPassword, confirmPassword: newPassword })
  return { browser, page, response }
}

async function user(context: TestContext, email: string) {
  return (await context.db('users').where({ email }).first('id', 'is_active', 'password_hash')) as {
    id: number
    is_active: unknown
    password_hash: string
  }
}

async function rolesOf(context: TestContext, userId: number): Promise<string[]> {
  return ((await context.db('memberships').where({ user_id: userId }).orderBy('role').select('role')) as Array<{ role: string }>).map(
    (m) => m.role,
  )
}

describe('a deactivated account stays deactivated', () => {
  let context: TestContext
  let icsLead: Agent
  let placeLead: Agent
  let icsId: number
  let wirralCouncilId: number

  beforeEach(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000', TOKEN_RATE_LIMIT: '1000' } })
    icsId = ((await context.db('ics').first('id')) as { id: number }).id
    wirralCouncilId = ((await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }).id
    icsLead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
  })
  afterEach(() => context.close())

  async function deactivate(userId: number) {
    const response = await submitForm(icsLead, `/admin/users/${userId}`, `/admin/users/${userId}/deactivate`, {})
    expect(response.status).toBe(303)
  }

  it('does not let a place lead’s invitation bring back a deactivated ICS lead, or their role', async () => {
    const formerLeadId = await addUser(context, 'former.lead@example.org', { role: 'ics_lead', ics_id: icsId })
    await deactivate(formerLeadId)

    const invited = await submitForm(placeLead, '/admin/invitations', '/admin/invitations', {
      name: 'Former Lead',
      email: 'former.lead@example.org',
      role: 'partner',
      organisationId: String(wirralCouncilId),
    })
    expect(invited.status).toBe(303)
    const link = await latestLinkTo(context, 'former.lead@example.org', '/invitations')

    const { page, response } = await followWithPassword(context, link)
    expect(page.status).toBe(403)
    expect(page.text).toContain('Your account has been deactivated')
    expect(page.text).not.toContain('name="password"')
    expect(response.status).toBe(403)
    expect(response.headers.location).toBeUndefined()

    const after = await user(context, 'former.lead@example.org')
    expect(toBoolean(after.is_active)).toBe(false)
    expect(await rolesOf(context, formerLeadId)).toEqual(['ics_lead'])
    expect((await context.db('invitations').where({ email: 'former.lead@example.org' }).first('accepted_at')) as object).toEqual({
      accepted_at: null,
    })
    await expect(signIn(context.app, 'former.lead@example.org', newPassword)).rejects.toThrow(/failed with 401/)
    await expect(signIn(context.app, 'former.lead@example.org', testDemoPassword)).rejects.toThrow(/failed with 401/)

    // Only an ICS lead brings the account back; then the same link adds the partner role it offered.
    expect((await submitForm(icsLead, `/admin/users/${formerLeadId}`, `/admin/users/${formerLeadId}/reactivate`, {})).status).toBe(303)
    const browser = request.agent(context.app)
    const again = await browser.get(link)
    expect(again.status).toBe(200)
    const accepted = await browser
      .post(link)
      .type('form')
      .send({ _csrf: csrfFrom(again.text) })
    expect(accepted.status).toBe(303)
    expect(await rolesOf(context, formerLeadId)).toEqual(['ics_lead', 'partner'])
  })

  it('stops the API tokens of an ICS lead who has been deactivated', async () => {
    const formerLeadId = await addUser(context, 'token.lead@example.org', { role: 'ics_lead', ics_id: icsId })
    const former = await signIn(context.app, 'token.lead@example.org', testDemoPassword)
    const page = await former.get(`/admin/api-tokens?ics=${icsId}`)
    const created = await former
      .post('/admin/api-tokens')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), name: 'Board pack', ics: String(icsId) })
    expect(created.status).toBe(201)
    const secret = /id="token-secret" type="text" value="([^"]+)"/.exec(created.text)![1]!
    const api = () => request(context.app).get('/api/v1/rounds').set('Authorization', `Bearer ${secret}`)
    expect((await api()).status).toBe(200)
    await deactivate(formerLeadId)
    expect((await api()).status).toBe(401)
  })

  it('withdraws an invitation whose sender has since been deactivated', async () => {
    const senderId = await addUser(context, 'sender.lead@example.org', {
      role: 'place_lead',
      ics_id: icsId,
      place_id: ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id,
    })
    const sender = await signIn(context.app, 'sender.lead@example.org', testDemoPassword)
    const invited = await submitForm(sender, '/admin/invitations', '/admin/invitations', {
      name: 'New Person',
      email: 'new.person@example.org',
      role: 'partner',
      organisationId: String(wirralCouncilId),
    })
    expect(invited.status).toBe(303)
    const link = await latestLinkTo(context, 'new.person@example.org', '/invitations')
    await deactivate(senderId)

    const { page, response } = await followWithPassword(context, link)
    expect(page.status).toBe(410)
    expect(page.text).toContain('This link has been withdrawn')
    expect(response.status).toBe(410)
    expect(await context.db('users').where({ email: 'new.person@example.org' }).first('id')).toBeUndefined()
  })

  it('does not let a reset link sent before deactivation set a password or sign in', async () => {
    const viewerId = await addUser(context, 'reader@example.org', { role: 'viewer', ics_id: icsId })
    const anonymous = request.agent(context.app)
    const form = await anonymous.get('/forgotten-password')
    await anonymous
      .post('/forgotten-password')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), email: 'reader@example.org' })
    const link = await latestLinkTo(context, 'reader@example.org', '/reset-password')
    const before = await user(context, 'reader@example.org')
    await deactivate(viewerId)

    const { page, response, browser } = await followWithPassword(context, link)
    expect(page.status).toBe(403)
    expect(response.status).toBe(403)
    expect((await user(context, 'reader@example.org')).password_hash).toBe(before.password_hash)
    expect((await browser.get('/home')).status).toBe(303)
  })
})
