import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, formFieldsOf, signIn } from '../helpers/session'

/**
 * What an autosave costs the database, since every partner does it every few seconds on
 * deadline day: no session write per request, the framework read once per process, and the
 * versions it answers with are exactly those saved.
 */
describe('the autosave hot path', () => {
  let context: TestContext
  afterEach(async () => {
    await context.close()
  })

  it('writes no session row, and reads no framework, once warm; answers with the versions saved', async () => {
    context = await createTestContext({ demo: true })
    const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
    const roundId = ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
    const organisationId = ((await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }).id
    const path = `/rounds/${roundId}/organisations/${organisationId}/domains/DD`
    const page = await partner.get(path)
    const form: Record<string, string> = { ...formFieldsOf(page.text, '<form method="post" action="/rounds/'), _csrf: csrfFrom(page.text) }
    const save = (fields: Record<string, string>) =>
      partner
        .post(path)
        .type('form')
        .set('Accept', 'application/json')
        .send({ ...form, ...fields, action: 'save' })

    const first = await save({ 'evidence-DD1': 'First draft.' })
    expect(first.status).toBe(200)
    Object.assign(form, { 'evidence-DD1': 'First draft.' })
    for (const [code, version] of Object.entries(first.body.versions as Record<string, number>)) {
      form[`version-${code}`] = String(version)
      form[`base-${code}`] = (first.body.bases as Record<string, string>)[code]!
    }

    const queries: string[] = []
    const record = (q: { sql: string }) => queries.push(q.sql)
    context.db.on('query', record)
    const second = await save({ 'evidence-DD2': 'Second draft.', 'level-DD2': '2' })
    await partner.get('/home')
    context.db.off('query', record)
    expect(second.status).toBe(200)

    expect(queries.filter((sql) => /sessions/.test(sql) && !/^select/i.test(sql))).toEqual([])
    expect(queries.filter((sql) => /framework_(versions|criteria|domains)/.test(sql) && !/answers/.test(sql))).toEqual([])
    // In one transaction: the answer written, its audit event, the response touched; nothing else written.
    expect(queries.filter((sql) => !/^select/i.test(sql)).map((sql) => sql.replace(/[`"]/g, '').split(' ').slice(0, 3).join(' '))).toEqual([
      'BEGIN;',
      'insert into answers',
      'insert into audit_events',
      'update responses set',
      'delete from response_domains',
      'COMMIT;',
    ])

    const stored = (await context
      .db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('framework_criteria as c', 'c.id', 'a.criterion_id')
      .where({ 'r.round_id': roundId, 'r.organisation_id': organisationId })
      .whereIn('c.code', ['DD1', 'DD2', 'DD3', 'DD4'])
      .select('c.code', 'a.version')) as Array<{ code: string; version: number }>
    const versions = second.body.versions as Record<string, number>
    for (const code of ['DD1', 'DD2', 'DD3', 'DD4']) expect(versions[code]).toBe(stored.find((s) => s.code === code)?.version ?? 0)
    // The bases it answers with are those of what is stored: the next autosave from this page is no conflict.
    for (const [code, version] of Object.entries(versions)) {
      form[`version-${code}`] = String(version)
      form[`base-${code}`] = (second.body.bases as Record<string, string>)[code]!
    }
    Object.assign(form, { 'evidence-DD2': 'Second draft.', 'level-DD2': '2' })
    const third = await save({ 'evidence-DD3': 'Third.' })
    expect(third.status).toBe(200)
    const page2 = await partner.get(path)
    const fields = formFieldsOf(page2.text, '<form method="post" action="/rounds/')
    for (const code of ['DD1', 'DD2', 'DD3', 'DD4']) {
      expect(fields[`version-${code}`]).toBe(String((third.body.versions as Record<string, number>)[code]))
      expect(fields[`base-${code}`]).toBe((third.body.bases as Record<string, string>)[code])
    }
  })
})
