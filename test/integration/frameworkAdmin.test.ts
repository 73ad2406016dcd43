import fs from 'node:fs'
import path from 'node:path'
import { frameworkDirectory } from '../../server/services/frameworkService'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countAll } from '../helpers/counts'
import { csrfFrom, errorSummaryOf, signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'

const frameworkTables = ['frameworks', 'framework_versions', 'framework_domains', 'framework_criteria', 'audit_events']
const cheshire = JSON.parse(fs.readFileSync(path.join(frameworkDirectory, 'cheshire-merseyside-2021.json'), 'utf8')) as Record<
  string,
  unknown
>

describe('frameworks, uploaded and compared by the ICS lead', () => {
  let context: TestContext
  let lead: Agent

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
  })
  afterAll(() => context.close())

  async function uploadFile(json: string) {
    const page = await lead.get('/admin/frameworks')
    return lead
      .post('/admin/frameworks')
      .field('_csrf', csrfFrom(page.text))
      .attach('file', Buffer.from(json, 'utf8'), { filename: 'framework.json', contentType: 'application/json' })
  }

  it('a framework upload with errors creates nothing and names every path', async () => {
    const before = await countAll(context.db, frameworkTables)
    const broken = structuredClone(cheshire) as {
      slug: string
      levels: unknown[]
      domains: Array<{ code: string; criteria: Array<{ code: string; descriptors: unknown[]; threshold?: number }> }>
      readiness: { gatewayCriteria: string[] }
      colour?: string
    }
    broken.slug = 'my-ics-framework'
    broken.domains[1]!.code = broken.domains[0]!.code
    broken.domains[2]!.criteria[0]!.code = broken.domains[0]!.criteria[0]!.code
    broken.domains[3]!.criteria[1]!.descriptors.pop()
    broken.readiness.gatewayCriteria.push('XX9')
    const response = await uploadFile(JSON.stringify(broken))
    expect(response.status).toBe(400)
    expect(errorSummaryOf(response.text).map((e) => e.replace(/&#34;/g, '"'))).toEqual([
      `$.domains[1].code domain code "${broken.domains[0]!.code}" is used more than once`,
      `$.domains[2].criteria[0].code criterion code "${broken.domains[0]!.criteria[0]!.code}" is already used at $.domains[0].criteria[0]`,
      '$.domains[3].criteria[1].descriptors has no descriptor for level 4',
      // DD1 (the first gateway criterion) was renamed away above, so it too is missing now.
      '$.readiness.gatewayCriteria[0] "DD1" is not a criterion code in this framework',
      '$.readiness.gatewayCriteria[4] "XX9" is not a criterion code in this framework',
    ])
    expect(response.text).toContain('Problems in the file: nothing was saved')
    expect(await countAll(context.db, frameworkTables)).toEqual(before)

    const shapeless = await uploadFile('{"slug": "Bad Slug", "title": 7}')
    expect(shapeless.status).toBe(400)
    const paths = errorSummaryOf(shapeless.text).map((e) => e.split(' ')[0])
    expect(paths).toEqual(
      expect.arrayContaining(['$.slug', '$.title', '$.version', '$.description', '$.levels', '$.domains', '$.readiness']),
    )
    const notJson = await uploadFile('{ not json')
    expect(errorSummaryOf(notJson.text)[0]).toMatch(/^\$ is not valid JSON/)
    expect(await countAll(context.db, frameworkTables)).toEqual(before)
  })

  it('uploads a valid file as the ICS’s own version, which other ICSs do not see, and says when it is already there', async () => {
    const own = { ...structuredClone(cheshire), slug: 'northshire-place-framework', title: 'Northshire place framework', version: '2027' }
    const created = await uploadFile(JSON.stringify(own))
    expect(created.status).toBe(303)
    const versionId = Number(/\/admin\/frameworks\/(\d+)\?uploaded=1$/.exec(created.headers.location as string)![1])
    const icsId = ((await context.db('ics').first('id')) as { id: number }).id
    expect(await context.db('framework_versions').where({ id: versionId }).first('owner_ics_id', 'version_label')).toEqual({
      owner_ics_id: icsId,
      version_label: '2027',
    })
    expect((await lead.get(`/admin/frameworks/${versionId}`)).text).toContain('Northshire place framework, version 2027')
    const again = await uploadFile(JSON.stringify(own))
    expect(again.headers.location).toBe(`/admin/frameworks/${versionId}?existing=1`)

    const [other] = (await context
      .db('ics')
      .insert({ name: 'Another ICS', slug: 'another', created_at: new Date().toISOString() }, ['id'])) as Array<{ id: number }>
    await addUser(context, 'other.lead@example.org', { role: 'ics_lead', ics_id: other!.id })
    const otherLead = await signIn(context.app, 'other.lead@example.org', testDemoPassword)
    expect((await otherLead.get(`/admin/frameworks/${versionId}`)).status).toBe(404)
    expect((await otherLead.get('/admin/frameworks')).text).not.toContain('Northshire place framework')
    expect((await otherLead.get('/rounds/new')).text).not.toContain('Northshire place framework')
  })

  it('lists what changed between the two bundled frameworks’ versions, and between a draft and its source', async () => {
    const [cm, lga] = (await context.db('framework_versions').whereNull('owner_ics_id').orderBy('id').pluck('id')) as number[]
    const page = await lead.get(`/admin/frameworks/compare?from=${cm}&to=${lga}`)
    expect(page.status).toBe(200)
    expect(page.text).toContain('Criteria added (15)')
    expect(page.text).toContain('Criteria removed (16)')
    expect(page.text).toContain('Criteria reworded (0)')
    expect(page.text).toContain('gateway criteria')
    expect(page.text).toContain('Financial framework')

    // A draft from the Cheshire and Merseyside version, with one descriptor reworded and a threshold raised.
    const version = await lead.get(`/admin/frameworks/${cm}`)
    const drafted = await lead
      .post(`/admin/frameworks/${cm}/drafts`)
      .type('form')
      .send({ _csrf: csrfFrom(version.text) })
    expect(drafted.status).toBe(303)
    const draftId = Number(/\/admin\/frameworks\/(\d+)/.exec(drafted.headers.location as string)![1])
    const draftPage = await lead.get(`/admin/frameworks/${draftId}`)
    // The demo ICS already has a "2021 draft", so this one is the next.
    expect(draftPage.text).toContain('version 2021 draft 2')
    expect(draftPage.text).toContain('Save the draft')
    const document = JSON.parse((await lead.get(`/admin/frameworks/${draftId}/download.json`)).text) as {
      version: string
      domains: Array<{ criteria: Array<{ code: string; title: string; threshold?: number }> }>
    }
    expect(document.version).toBe('2021 draft 2')
    document.domains[0]!.criteria[0]!.title = 'A shared purpose everyone can state'
    document.domains[1]!.criteria[0]!.threshold = 4
    const invalid = await lead
      .post(`/admin/frameworks/${draftId}`)
      .type('form')
      .send({ _csrf: csrfFrom(draftPage.text), document: JSON.stringify({ ...document, levels: [] }) })
    expect(invalid.status).toBe(400)
    expect(errorSummaryOf(invalid.text)[0]).toMatch(/^\$\.levels /)
    expect(invalid.text).toContain('A shared purpose everyone can state')
    const saved = await lead
      .post(`/admin/frameworks/${draftId}`)
      .type('form')
      .send({ _csrf: csrfFrom(draftPage.text), document: JSON.stringify(document) })
    expect(saved.status).toBe(303)
    const diff = await lead.get(`/admin/frameworks/compare?from=${cm}&to=${draftId}`)
    expect(diff.text).toContain('Criteria reworded (1)')
    expect(diff.text).toContain('A shared purpose everyone can state')
    expect(diff.text).toContain('Thresholds changed (1)')
    expect(diff.text).toMatch(/LC1<\/span>[^<]*: level 3 to level 4/)
  })

  it('never changes a version a round uses', async () => {
    const used = ((await context.db('rounds').first('framework_version_id')) as { framework_version_id: number }).framework_version_id
    const page = await lead.get(`/admin/frameworks/${used}`)
    expect(page.text).toContain('Locked')
    expect(page.text).not.toContain('Save the draft')
    const refused = await lead
      .post(`/admin/frameworks/${used}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), document: JSON.stringify(cheshire) })
    expect(refused.status).toBe(404)
  })
})
