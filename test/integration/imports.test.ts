import { parse } from 'csv-parse/sync'
import request from 'supertest'
import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countAll } from '../helpers/counts'
import { csrfFrom, signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'

const header = 'Place,Organisation,Organisation type,Contact name,Contact email'
const written = ['places', 'organisations', 'invitations', 'one_time_tokens', 'outbox', 'audit_events', 'memberships', 'users']

/** The ICS lead uploads a file (multipart, as the form sends it) and is taken to its import page. */
async function upload(context: TestContext, agent: Agent, csv: string | Buffer, filename = 'partners.csv'): Promise<number> {
  const page = await agent.get('/admin/imports')
  const response = await agent
    .post('/admin/imports')
    .field('_csrf', csrfFrom(page.text))
    .attach('file', Buffer.isBuffer(csv) ? csv : Buffer.from(csv, 'utf8'), { filename, contentType: 'text/csv' })
  expect(response.status).toBe(303)
  const id = Number(/\/admin\/imports\/(\d+)$/.exec(response.headers.location as string)![1])
  await context.services.imports.idle()
  return id
}

async function confirm(context: TestContext, agent: Agent, id: number): Promise<request.Response> {
  const page = await agent.get(`/admin/imports/${id}`)
  const response = await agent
    .post(`/admin/imports/${id}/confirm`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
  await context.services.imports.idle()
  return response
}

describe('importing places, partner organisations and contacts from CSV', () => {
  let context: TestContext
  let lead: Agent
  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  })
  afterAll(() => context.close())

  it('offers a template that imports as it stands', async () => {
    const template = await lead.get('/admin/imports/template.csv')
    expect(template.status).toBe(200)
    expect(template.headers['content-type']).toContain('text/csv')
    const records = parse(template.text, { bom: true }) as string[][]
    expect(records[0]).toEqual(['Place', 'Organisation', 'Organisation type', 'Contact name', 'Contact email'])
    const id = await upload(context, lead, template.text, 'template.csv')
    const { job } = await context.services.imports.progress((await leadUser(context))!, id)
    expect(job.status).toBe('checked')
    expect(job.counts).toEqual({ rows: records.length - 1, places: 1, organisations: 2, contacts: 2 })
  })

  it('an import with errors writes nothing, and lists every error by line, column and name', async () => {
    const before = await countAll(context.db, written)
    const csv = [
      header,
      'Wirral,Wirral Hospital,Hospital,Carol Cole,carol@example.org',
      'Wirral,Wirral Council,Local authority,Dan Dee,',
      'Wirral,Wirral Council,Local authority,Eve Eng,not-an-email',
      'Wirrall,Wirral PCN,Primary care network,,',
      'Wirral,Wirral Council,Local authority,Fay Fox,fay@example.org',
      'Wirral,Wirral Council,Local authority,Fay Fox,fay@example.org',
      'Wirral,Wirral Council,,Sam Taylor,partner.wirral.council@example.org',
      'Wirral,Wirral Carers',
      'Newtown,,,,',
      'Newtown,Newtown Council,Local authority,Gil Gray,gil@example.org',
    ].join('\r\n')
    const id = await upload(context, lead, csv)
    expect(await countAll(context.db, written)).toEqual(before)

    const page = await lead.get(`/admin/imports/${id}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Nothing has been imported')
    expect(page.text).not.toContain('nhsuk-panel--confirmation')
    expect(page.text.replace(/<[^>]+>/g, '')).toContain('has 7 problems')
    const rows = [...page.text.matchAll(/<tr class="nhsuk-table__row">([\s\S]*?)<\/tr>/g)]
      .map((m) =>
        [...m[1]!.matchAll(/<td[^>]*>(?:<span[^>]*>[^<]*<\/span>)?([\s\S]*?)<\/td>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()),
      )
      .filter((cells) => cells.length > 0)
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['2', 'Organisation type', 'Carol Cole'],
      ['3', 'Contact email', 'Dan Dee'],
      ['4', 'Contact email', 'Eve Eng'],
      ['5', 'Place', 'Wirral PCN'],
      ['7', 'Contact email', 'Fay Fox'],
      ['8', 'Contact email', 'Sam Taylor'],
      ['9', 'The whole row', 'Wirral Carers'],
    ])
    // And every one is in the rows-with-problems download, on its row.
    const problems = await lead.get(`/admin/imports/${id}/problems.csv`)
    expect(problems.status).toBe(200)
    const records = parse(problems.text, { bom: true }) as string[][]
    expect(records[0]).toEqual(['Place', 'Organisation', 'Organisation type', 'Contact name', 'Contact email', 'Problems'])
    expect(records.slice(1).map((r) => [r[0], r[1], r[3], r[5]!.split(':')[0]])).toEqual([
      ['Wirral', 'Wirral Hospital', 'Carol Cole', 'Line 2'],
      ['Wirral', 'Wirral Council', 'Dan Dee', 'Line 3'],
      ['Wirral', 'Wirral Council', 'Eve Eng', 'Line 4'],
      ['Wirrall', 'Wirral PCN', '', 'Line 5'],
      ['Wirral', 'Wirral Council', 'Fay Fox', 'Line 7'],
      ['Wirral', 'Wirral Council', 'Sam Taylor', 'Line 8'],
      ['Wirral', 'Wirral Carers', '', 'Line 9'],
    ])
    expect(records[7]![5]).toContain('has 2 columns; every row needs 5')

    // Confirming is refused, and still nothing is written.
    expect((await confirm(context, lead, id)).status).toBe(400)
    expect(await countAll(context.db, written)).toEqual(before)
  })

  it('a valid import, pasted, shows a preview that is not a success, then creates exactly the rows of the file', async () => {
    const before = await countAll(context.db, written)
    const csv = [
      header,
      'Northfield,,,,',
      'Northfield,Northfield Council,Local authority,Ann Able,Ann.Able@northfield.example',
      'Northfield,Northfield Council,,Bob Brown,bob@northfield.example',
      'Northfield,Northfield Carers,VCSE,,',
      'Wirral,Wirral Council,,New Colleague,new.colleague@wirral.example',
    ].join('\n')
    const start = await lead.get('/admin/imports')
    const posted = await lead
      .post('/admin/imports')
      .type('form')
      .send({ _csrf: csrfFrom(start.text), rows: csv })
    expect(posted.status).toBe(303)
    const id = Number(/(\d+)$/.exec(posted.headers.location as string)![1])
    await context.services.imports.idle()

    const preview = await lead.get(`/admin/imports/${id}`)
    expect(preview.text).toContain('Nothing has been imported yet')
    expect(preview.text).not.toContain('nhsuk-panel--confirmation')
    expect(preview.text).toMatch(/Places to add<\/dt><dd class="nhsuk-summary-list__value">1</)
    expect(preview.text).toMatch(/Organisations to add<\/dt><dd class="nhsuk-summary-list__value">2</)
    expect(preview.text).toMatch(/Contacts to invite<\/dt><dd class="nhsuk-summary-list__value">3</)
    expect(await countAll(context.db, written)).toEqual(before)

    expect((await confirm(context, lead, id)).status).toBe(303)
    const done = await lead.get(`/admin/imports/${id}`)
    expect(done.text).toContain('Import complete')

    const icsId = ((await context.db('ics').first('id')) as { id: number }).id
    const northfield = (await context.db('places').where({ ics_id: icsId, name: 'Northfield' }).first('id', 'slug')) as {
      id: number
      slug: string
    }
    expect(northfield.slug).toBe('northfield')
    expect(await context.db('organisations').where({ place_id: northfield.id }).orderBy('name').select('name', 'kind')).toEqual([
      { name: 'Northfield Carers', kind: 'vcse' },
      { name: 'Northfield Council', kind: 'council' },
    ])
    const invited = (await context
      .db('invitations as n')
      .join('organisations as o', 'o.id', 'n.organisation_id')
      .where('n.created_at', '>', timestamp(new Date(context.clock.now().getTime() - 1)))
      .orWhereIn('n.email', ['ann.able@northfield.example', 'bob@northfield.example', 'new.colleague@wirral.example'])
      .orderBy('n.email')
      .select('n.email', 'n.name', 'n.role', 'o.name as organisation')) as Array<Record<string, string>>
    expect(invited).toEqual([
      { email: 'ann.able@northfield.example', name: 'Ann Able', role: 'partner', organisation: 'Northfield Council' },
      { email: 'bob@northfield.example', name: 'Bob Brown', role: 'partner', organisation: 'Northfield Council' },
      { email: 'new.colleague@wirral.example', name: 'New Colleague', role: 'partner', organisation: 'Wirral Council' },
    ])
    const after = await countAll(context.db, written)
    expect({
      places: after.places! - before.places!,
      organisations: after.organisations! - before.organisations!,
      invitations: after.invitations! - before.invitations!,
      tokens: after.one_time_tokens! - before.one_time_tokens!,
      mails: after.outbox! - before.outbox!,
      users: after.users! - before.users!,
    }).toEqual({ places: 1, organisations: 2, invitations: 3, tokens: 3, mails: 3, users: 0 })
    const audit = (await context
      .db('audit_events')
      .where({ subject_type: 'import', subject_id: String(id) })
      .first('kind', 'details')) as {
      kind: string
      details: string
    }
    expect(audit.kind).toBe('import.completed')
    expect(JSON.parse(audit.details)).toMatchObject({ rows: 5, places: 1, organisations: 2, contacts: 3 })

    // An imported contact follows the link in their invitation and can answer for their organisation.
    const mail = (await context.db('outbox').where({ to_address: 'ann.able@northfield.example' }).first('text_body')) as {
      text_body: string
    }
    const link = /\/invitations\/[A-Za-z0-9_-]+/.exec(mail.text_body)![0]
    const ann = request.agent(context.app)
    const accept = await ann.get(link)
    expect(
      (
        await ann
          .post(link)
          .type('form')
          .send({ _csrf: csrfFrom(accept.text), password: 'northern-lights-kettle-4', confirmPassword: 'northern-lights-kettle-4' })
      ).status,
    ).toBe(303)
    expect((await ann.get('/assessments')).status).toBe(200)
  })

  it('checks again when importing: what someone added since the preview makes it write nothing', async () => {
    const id = await upload(context, lead, [header, 'Wirral,Wirral Youth Trust,VCSE,,'].join('\n'))
    expect((await context.services.imports.progress((await leadUser(context))!, id)).job.status).toBe('checked')
    const place = await lead.get('/admin/places')
    const wirralId = ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id
    const added = await lead
      .post(`/admin/places/${wirralId}/organisations`)
      .type('form')
      .send({ _csrf: csrfFrom(place.text), name: 'Wirral Youth Trust', kind: 'vcse' })
    expect(added.status).toBe(303)
    const before = await countAll(context.db, written)
    expect((await confirm(context, lead, id)).status).toBe(303)
    const page = await lead.get(`/admin/imports/${id}`)
    expect(page.text).toContain('Nothing has been imported')
    expect(page.text).toContain('Wirral Youth Trust already exists in Wirral')
    expect(await countAll(context.db, written)).toEqual(before)
  })

  it('is made by whoever confirms it, from where they confirmed it, whoever uploaded the file', async () => {
    const icsId = ((await context.db('ics').first('id')) as { id: number }).id
    const colleagueId = await addUser(context, 'second.lead@example.org', { role: 'ics_lead', ics_id: icsId }, 'Robin Second')
    const colleague = await signIn(context.app, 'second.lead@example.org', testDemoPassword)
    const id = await upload(
      context,
      lead,
      [header, 'Eastfield,,,,', 'Eastfield,Eastfield Council,Local authority,Cy Dee,cy@eastfield.example'].join('\n'),
    )
    expect((await confirm(context, colleague, id)).status).toBe(303)

    const job = (await context.db('import_jobs').where({ id }).first('status', 'confirmed_by', 'confirmed_ip')) as Record<string, unknown>
    expect(job).toMatchObject({ status: 'imported', confirmed_by: colleagueId })
    expect(job.confirmed_ip).toEqual(expect.any(String))
    const events = (await context
      .db('audit_events')
      .where((q) => {
        q.where({ kind: 'import.completed', subject_id: String(id) }).orWhere('details', 'like', `%"importId":${id}%`)
      })
      .select('kind', 'actor_user_id', 'ip')) as Array<{ kind: string; actor_user_id: number; ip: string | null }>
    expect(events.map((e) => e.kind).sort()).toEqual(['import.completed', 'organisation.created', 'place.created'])
    for (const event of events) expect(event).toMatchObject({ actor_user_id: colleagueId, ip: job.confirmed_ip })
    const invitation = (await context.db('invitations').where({ email: 'cy@eastfield.example' }).first('invited_by')) as {
      invited_by: number
    }
    expect(invitation.invited_by).toBe(colleagueId)
    expect((await colleague.get(`/admin/imports/${id}`)).text).toContain('by Robin Second')
  })

  it('names a file that is not UTF-8, and a header that is not the template’s', async () => {
    const latin1 = Buffer.concat([Buffer.from(`${header}\nWirral,Caf`), Buffer.from([0xe9]), Buffer.from(' Partners,VCSE,,\n')])
    const id = await upload(context, lead, latin1, 'latin1.csv')
    const page = await lead.get(`/admin/imports/${id}`)
    expect(page.text).toContain('is not UTF-8 text')
    const wrong = await upload(context, lead, 'Name,Email\nx,y\n', 'wrong.csv')
    expect((await lead.get(`/admin/imports/${wrong}`)).text).toContain('The first row must name the columns')
  })

  it('shows progress while it works, refreshing itself without JavaScript, and another instance picks up a job whose worker died', async () => {
    const icsId = ((await context.db('ics').first('id')) as { id: number }).id
    const userId = ((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }).id
    const csv = [header, 'Southport,,,,', 'Southport,Southport Hospital,Acute trust,,'].join('\n')
    const now = context.clock.now()
    const [row] = (await context.db('import_jobs').insert(
      {
        ics_id: icsId,
        created_by: userId,
        filename: 'stalled.csv',
        status: 'checking',
        content: Buffer.from(csv).toString('base64'),
        total_rows: 2,
        processed_rows: 1,
        worker: 'a-worker-that-died',
        heartbeat_at: timestamp(now),
        created_at: timestamp(now),
        updated_at: timestamp(now),
      },
      ['id'],
    )) as Array<{ id: number }>
    // While its worker is alive, the page follows it: half done, refreshing every two seconds without JavaScript.
    const working = await lead.get(`/admin/imports/${row!.id}`)
    expect(working.text).toContain('<noscript><meta http-equiv="refresh" content="2"></noscript>')
    expect(working.text).toMatch(/<progress[^>]*value="50"/)
    expect(working.text).toContain('Checked 1 of 2 rows.')
    const status = await lead.get(`/admin/imports/${row!.id}/status.json`)
    expect(status.body).toEqual({ status: 'checking', working: true, percent: 50, processedRows: 1, totalRows: 2 })

    // The worker falls silent: the next look at the page, on another instance, takes the job over and finishes it.
    context.clock.advance(31_000)
    const other = context.anotherInstanceWithServices()
    const otherLead = await signIn(other.app, 'ics.lead@example.org', testDemoPassword)
    await otherLead.get(`/admin/imports/${row!.id}`)
    await other.services.imports.idle()
    const finished = await otherLead.get(`/admin/imports/${row!.id}`)
    expect(finished.text).toContain('Check before you import stalled.csv')
    expect(finished.text).not.toContain('http-equiv="refresh"')
  })

  it('completes a 10,000-row import, in one transaction', async () => {
    const rows = [header]
    for (let p = 0; p < 100; p++) {
      rows.push(`Bulk Place ${p},,,,`)
      for (let o = 0; o < 33; o++) {
        rows.push(`Bulk Place ${p},Bulk Organisation ${p}-${o},VCSE,Contact ${p}-${o},contact.${p}.${o}@bulk.example`)
        rows.push(`Bulk Place ${p},Bulk Organisation ${p}-${o},VCSE,Deputy ${p}-${o},deputy.${p}.${o}@bulk.example`)
        rows.push(`Bulk Place ${p},Bulk Organisation ${p}-${o},VCSE,Third ${p}-${o},third.${p}.${o}@bulk.example`)
      }
    }
    rows.push('Bulk Place 0,Bulk Extra,Other,,')
    expect(rows.length - 1).toBe(10_001)
    const before = await countAll(context.db, written)
    const id = await upload(context, lead, rows.join('\n'), 'bulk.csv')
    const user = (await leadUser(context))!
    expect((await context.services.imports.progress(user, id)).job).toMatchObject({
      status: 'checked',
      totalRows: 10_001,
      processedRows: 10_001,
    })
    expect((await confirm(context, lead, id)).status).toBe(303)
    const { job } = await context.services.imports.progress(user, id)
    expect(job.status).toBe('imported')
    const after = await countAll(context.db, written)
    expect(after.places! - before.places!).toBe(100)
    expect(after.organisations! - before.organisations!).toBe(3301)
    expect(after.invitations! - before.invitations!).toBe(9900)
    expect(after.outbox! - before.outbox!).toBe(9900)
  }, 120_000)
})

async function leadUser(context: TestContext) {
  const id = ((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }).id
  return context.services.accounts.currentUser(id)
}
