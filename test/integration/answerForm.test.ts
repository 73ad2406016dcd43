import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, formFieldsOf, signIn, type Agent } from '../helpers/session'
import { addPartner } from '../helpers/users'

/**
 * Finding 2 of the hardening issue: a JSON autosave with {"evidence-AV1": 12345} and the current
 * version answered 200 and the saved evidence became NULL, with no message; a field sent twice
 * silently kept its first value. A wrong type or a duplicate is a 400 with a message, and
 * nothing saved changes.
 */
describe('the answer form reads only what was really sent', () => {
  let context: TestContext
  let partner: Agent
  let base: string
  let organisationId: number

  const stored = async (code: string) =>
    (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'r.organisation_id': organisationId, 'c.code': code })
      .orderBy('r.round_id', 'desc')
      .first('a.level', 'a.evidence', 'a.support_needed', 'a.version')) as { level: number; evidence: string; version: number }

  async function formOf() {
    const page = await partner.get(`${base}/domains/AV`)
    return { page: page.text, fields: formFieldsOf(page.text, '<form method="post" action="/rounds/'), token: csrfFrom(page.text) }
  }

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    await addPartner(context, 'answers.partner@example.org', 'Healthwatch Wirral', 'Ana Silva')
    const round = (await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }
    organisationId = ((await context.db('organisations').where({ name: 'Healthwatch Wirral' }).first('id')) as { id: number }).id
    base = `/rounds/${round.id}/organisations/${organisationId}`
    partner = await signIn(context.app, 'answers.partner@example.org', testDemoPassword)
    const { fields, token } = await formOf()
    const saved = await partner
      .post(`${base}/domains/AV`)
      .type('form')
      .send({
        ...fields,
        _csrf: token,
        'level-AV1': '3',
        'evidence-AV1': 'Vision agreed by the board',
        'level-AV2': '2',
        'evidence-AV2': 'Priorities drafted',
        action: 'save',
      })
    expect(saved.status).toBe(303)
  })
  afterAll(() => context.close())

  it.each([
    ['a number', 12345],
    ['null', null],
    ['true', true],
    ['an object', { text: 'x' }],
    ['a list', ['a', 'b']],
  ])('answers a JSON autosave with evidence as %s with 400 and a message, changing nothing', async (_name, value) => {
    const before = await stored('AV1')
    const { fields, token } = await formOf()
    const response = await partner
      .post(`${base}/domains/AV`)
      .set('Accept', 'application/json')
      .set('x-csrf-token', token)
      .send({ ...fields, 'evidence-AV1': value, action: 'save' })
    expect(response.status).toBe(400)
    expect(response.body.error.message).toMatch(
      /The evidence for AV1 was (not sent as text|sent more than once) – reload the page and try again/,
    )
    expect(await stored('AV1')).toEqual(before)
  })

  it('answers a level sent as a number with 400 rather than reading it', async () => {
    const before = await stored('AV2')
    const { fields, token } = await formOf()
    const response = await partner
      .post(`${base}/domains/AV`)
      .set('Accept', 'application/json')
      .set('x-csrf-token', token)
      .send({ ...fields, 'level-AV2': 4, action: 'save' })
    expect(response.status).toBe(400)
    expect(response.body.error.message).toContain('The level for AV2 was not sent as text')
    expect(await stored('AV2')).toEqual(before)
  })

  it('refuses a field sent twice in a form, saying which, rather than keeping one copy', async () => {
    const before = await stored('AV1')
    const { fields, token } = await formOf()
    const body = new URLSearchParams({ ...fields, _csrf: token, action: 'save', 'evidence-AV1': 'First copy' })
    body.append('evidence-AV1', 'Second copy')
    const response = await partner.post(`${base}/domains/AV`).type('form').send(body.toString())
    expect(response.status).toBe(400)
    expect(response.text).toContain('The form sent the field “evidence-AV1” more than once')
    expect(await stored('AV1')).toEqual(before)
  })

  it('leaves alone the criteria an autosave did not send, rather than emptying them', async () => {
    const before = await stored('AV2')
    const { fields, token } = await formOf()
    const onlyAv1 = Object.fromEntries(Object.entries(fields).filter(([name]) => name.endsWith('-AV1')))
    const response = await partner
      .post(`${base}/domains/AV`)
      .set('Accept', 'application/json')
      .set('x-csrf-token', token)
      .send({ ...onlyAv1, 'evidence-AV1': 'Vision agreed by the board and the council', action: 'save' })
    expect(response.status).toBe(200)
    expect((await stored('AV1')).evidence).toBe('Vision agreed by the board and the council')
    expect(await stored('AV2')).toEqual(before)
  })
})
