import type request from 'supertest'
import { toDate } from '../../server/db/values'
import type { RoundResults } from '../../server/results'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { parsePdf, textOf, walk, type ParsedPdf, type StructNode } from '../helpers/pdf'
import { csrfFrom, errorSummaryOf, signIn, type Agent } from '../helpers/session'

/**
 * Board reports, downloaded through the real app and read back with poppler: what a board
 * reads (place, readiness, every criterion, the development plan, page numbers), the tagged
 * structure behind it, and who may download them before and after the ICS lead publishes.
 */

const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = []
  res.on('data', (chunk: Buffer) => chunks.push(chunk))
  res.on('end', () => callback(null, Buffer.concat(chunks)))
}

async function download(agent: Agent, url: string): Promise<{ status: number; type: string; disposition: string; pdf: Buffer }> {
  const response = await agent.get(url).buffer(true).parse(binary)
  return {
    status: response.status,
    type: String(response.headers['content-type']),
    disposition: String(response.headers['content-disposition']),
    pdf: response.body as Buffer,
  }
}

const h2s = (pdf: ParsedPdf) =>
  walk(pdf.structure)
    .filter((n) => n.type === 'H2')
    .map(textOf)
const tables = (pdf: ParsedPdf) => walk(pdf.structure).filter((n) => n.type === 'Table')
const captionOf = (table: StructNode) => textOf(table.children.find((c) => c.type === 'Caption')!)
const bodyRows = (table: StructNode) => table.children.find((c) => c.type === 'TBody')!.children
const cellTexts = (row: StructNode) => row.children.map(textOf)
const flat = (text: string) => text.replace(/\s+/g, ' ')

describe('board reports', () => {
  let context: TestContext
  let lead: Agent
  let placeLead: Agent
  let viewer: Agent
  let baseline: { id: number }
  let current: { id: number; closes_at: unknown }
  let wirral: { id: number }
  let liverpool: { id: number }
  let baselineResults: RoundResults

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000' } })
    const rounds = (await context.db('rounds').orderBy('closes_at').select('id', 'closes_at')) as Array<{ id: number; closes_at: unknown }>
    baseline = rounds[0]!
    current = rounds[1]!
    wirral = (await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
    liverpool = (await context.db('places').where({ slug: 'liverpool' }).first('id')) as { id: number }
    baselineResults = (await context.services.results.round(baseline.id))!
    lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
    viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
  })
  afterAll(() => context.close())

  describe('the place report of a published round', () => {
    let pdf: ParsedPdf
    let disposition: string

    beforeAll(async () => {
      const response = await download(viewer, `/rounds/${baseline.id}/places/${wirral.id}/report.pdf`)
      expect(response.status).toBe(200)
      expect(response.type).toBe('application/pdf')
      disposition = response.disposition
      pdf = parsePdf(response.pdf)
    })

    it('is a download named after the place and the round', () => {
      expect(disposition).toBe('attachment; filename="wirral-place-report-place-development-self-assessment-october-2021.pdf"')
    })

    it('names the place, its readiness and decision as the results read model has them', () => {
      const place = baselineResults.places.find((p) => p.place.id === wirral.id)!
      const outcome = `Level ${place.readiness.level} – ${baselineResults.framework.outcomeNames[place.readiness.level]}`
      expect(pdf.pages[0]).toContain('Wirral: place readiness report')
      const facts = bodyRows(tables(pdf).find((t) => captionOf(t) === 'At a glance')!).map(cellTexts)
      expect(facts).toContainEqual(['Recommended readiness', outcome])
      expect(facts).toContainEqual(['Delegation decision', expect.stringContaining(`Level ${place.decision!.decidedLevel} –`)])
      expect(flat(pdf.text)).toContain(
        `Wirral is recommended for ${outcome}: ${place.readiness.metCount} of 16 criteria meet their thresholds.`,
      )
    })

    it('lists every criterion of the framework with its level, threshold, whether it is met and where the level came from', () => {
      const place = baselineResults.places.find((p) => p.place.id === wirral.id)!
      const table = tables(pdf).find((t) => captionOf(t).startsWith('Level, threshold and partners’ spread'))!
      const rows = bodyRows(table).map(cellTexts)
      expect(rows.map((r) => r[0]!.replace(/ \(gateway\)$/, ''))).toEqual(
        baselineResults.framework.criteria.map((c) => `${c.code} ${c.title}`),
      )
      place.criteria.forEach((c, i) => {
        expect(rows[i]![1]).toBe(
          c.used.level === null ? 'No level' : `${c.used.level} ${baselineResults.framework.levelNames[c.used.level]}`,
        )
        expect(rows[i]![3]).toMatch(c.result.met ? /^✓ Met$/ : /^✗ /)
        expect(rows[i]![4]).toBe(
          { moderation: 'ICS moderation', place: 'Place agreed', partners: 'Partners’ median', none: 'None yet' }[c.used.source],
        )
      })
    })

    it('gives the development plan’s actions', () => {
      const place = baselineResults.places.find((p) => p.place.id === wirral.id)!
      expect(place.plan.length).toBeGreaterThan(0)
      const rows = bodyRows(tables(pdf).find((t) => captionOf(t) === 'Development actions, by due date')!).map(cellTexts)
      expect(rows.map((r) => [r[0], r[1]])).toEqual(place.plan.map((a) => [a.criterionCode, a.description]))
      // Carried-over actions may be met by now: the introduction says when each was raised, not that all are unmet.
      expect(flat(pdf.text)).toContain('Each action was agreed for a criterion that did not meet its threshold when it was raised')
    })

    it('numbers its pages, is tagged with its sections in reading order, and embeds its font', () => {
      const count = Number(pdf.info.Pages)
      expect(count).toBeGreaterThan(3)
      expect(pdf.pages).toHaveLength(count)
      expect(pdf.pages[0]).toContain(`Page 1 of ${count}`)
      expect(pdf.pages[count - 1]).toContain(`Page ${count} of ${count}`)
      expect(pdf.info.Tagged).toBe('yes')
      expect(pdf.info.Title).toBe('Wirral: place readiness report, Place development self-assessment, October 2021')
      expect(pdf.fonts.every((f) => f.embedded && f.name.includes('SourceSans3'))).toBe(true)
      const document = pdf.structure.children[0]!
      expect(document.children[0]!.type).toBe('H1')
      expect(h2s(pdf)).toEqual([
        'In this report',
        'Summary',
        'Domain levels',
        'Every criterion',
        'Who took part',
        'Where partners disagreed',
        'Evidence highlights',
        'Development plan',
        'Since the previous round',
      ])
      expect(tables(pdf).map(captionOf)).toEqual([
        'At a glance',
        'Domain levels and thresholds met',
        'Level, threshold and partners’ spread for every criterion',
        'Partner organisations and their self-assessments',
        'How many partners answered each level, where they were two or more levels apart',
        'Development actions, by due date',
      ])
      expect(walk(pdf.structure).filter((n) => n.type === 'Figure')).toHaveLength(1)
    })

    it('is not a draft once published', () => {
      expect(pdf.text).not.toContain('DRAFT')
      expect(pdf.text).toContain('Published on 14 January 2022')
    })
  })

  it('compares a place with the previous round, and marks an unpublished round’s report as a draft', async () => {
    const response = await download(lead, `/rounds/${current.id}/places/${wirral.id}/report.pdf`)
    expect(response.status).toBe(200)
    const pdf = parsePdf(response.pdf)
    for (const page of pdf.pages) expect(page).toContain('DRAFT – not yet published')
    expect(flat(pdf.text)).toContain('In Place development self-assessment, October 2021 the recommendation was')
    const comparison = tables(pdf).find((t) => captionOf(t).startsWith('Each criterion’s level, before'))!
    expect(bodyRows(comparison)).toHaveLength(16)
    expect(walk(pdf.structure).filter((n) => n.type === 'Figure')).toHaveLength(2)
  })

  describe('the system report', () => {
    let pdf: ParsedPdf

    beforeAll(async () => {
      const response = await download(viewer, `/rounds/${baseline.id}/report.pdf`)
      expect(response.status).toBe(200)
      pdf = parsePdf(response.pdf)
    })

    it('gives every place’s readiness and decision', () => {
      const rows = bodyRows(tables(pdf).find((t) => captionOf(t) === 'Recommendation and decision for each place')!).map(cellTexts)
      expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual(
        baselineResults.places.map((p) => [
          p.place.name,
          `Level ${p.readiness.level} – ${baselineResults.framework.outcomeNames[p.readiness.level]}`,
          `${p.readiness.metCount} of 16`,
        ]),
      )
    })

    it('has a heatmap of places by criteria whose cells say the level, and a figure per domain', () => {
      const heatmap = tables(pdf).find((t) => captionOf(t).startsWith('Level of each criterion in each place'))!
      const header = textOf(heatmap.children.find((c) => c.type === 'THead')!)
      expect(header).toBe(['Place', ...baselineResults.framework.criteria.map((c) => c.code)].join(' '))
      const rows = bodyRows(heatmap).map(cellTexts)
      expect(rows.map((r) => r[0])).toEqual(baselineResults.places.map((p) => p.place.name))
      baselineResults.places.forEach((p, i) => {
        expect(rows[i]!.slice(1)).toEqual(
          p.criteria.map((c) => (c.used.level === null ? '–' : `${c.used.level}${c.result.met ? ' ✓' : ''}`)),
        )
      })
      const figures = walk(pdf.structure).filter((n) => n.type === 'Figure')
      expect(figures).toHaveLength(baselineResults.framework.domains.length)
      expect(h2s(pdf)).toEqual([
        'Summary',
        'Readiness of every place',
        'Heatmap: places by criteria',
        'Domains compared',
        'Trend since the previous round',
      ])
      expect(pdf.pages[0]).toContain(`Page 1 of ${pdf.info.Pages}`)
    })

    it('shows the trend since the previous round when there is one', async () => {
      expect(flat(pdf.text)).toContain('This is the ICS’s first round, so there is no trend yet.')
      const later = parsePdf((await download(lead, `/rounds/${current.id}/report.pdf`)).pdf)
      const trend = tables(later).find((t) => captionOf(t) === 'Recommendation and thresholds met, before and now')!
      expect(bodyRows(trend)).toHaveLength(baselineResults.places.length)
    })
  })

  describe('before and after publication', () => {
    it('gives a viewer "not found" for an unpublished round’s reports, and the PDFs once the ICS lead publishes it', async () => {
      const placeUrl = `/rounds/${current.id}/places/${liverpool.id}/report.pdf`
      const systemUrl = `/rounds/${current.id}/report.pdf`
      expect((await viewer.get(placeUrl)).status).toBe(404)
      expect((await viewer.get(systemUrl)).status).toBe(404)
      expect((await viewer.get(`/rounds/${current.id}/reports`)).status).toBe(404)

      // Not while the round is open.
      const page = await lead.get(`/rounds/${current.id}/reports`)
      expect(page.text).toContain('You can publish the results once the round has closed.')
      let response = await lead
        .post(`/rounds/${current.id}/publish`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), confirm: 'yes' })
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(['You can publish the results once the round has closed'])

      // A month later the round has closed (and sessions have ended): sign in again.
      context.clock.set(new Date(toDate(current.closes_at).getTime() + 60_000))
      lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
      placeLead = await signIn(context.app, 'place.lead.wirral@example.org', testDemoPassword)
      viewer = await signIn(context.app, 'board.viewer@example.org', testDemoPassword)
      const closed = await lead.get(`/rounds/${current.id}/reports`)
      response = await lead
        .post(`/rounds/${current.id}/publish`)
        .type('form')
        .send({ _csrf: csrfFrom(closed.text) })
      expect(response.status).toBe(400)
      expect(errorSummaryOf(response.text)).toEqual(['Confirm that the results are ready for board viewers'])
      expect((await viewer.get(placeUrl)).status).toBe(404)

      response = await lead
        .post(`/rounds/${current.id}/publish`)
        .type('form')
        .send({ _csrf: csrfFrom(closed.text), confirm: 'yes' })
      expect(response.status).toBe(303)
      expect(response.headers.location).toBe(`/rounds/${current.id}/reports`)
      const events = (await context
        .db('audit_events')
        .where({ kind: 'results.published', subject_id: String(current.id) })
        .select('actor_user_id')) as Array<{
        actor_user_id: number
      }>
      const leadId = ((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }).id
      expect(events).toEqual([{ actor_user_id: leadId }])

      const placeReport = await download(viewer, placeUrl)
      expect(placeReport.status).toBe(200)
      expect(parsePdf(placeReport.pdf).text).not.toContain('DRAFT')
      expect((await download(viewer, systemUrl)).status).toBe(200)
      const listing = await viewer.get(`/rounds/${current.id}/reports`)
      expect(listing.text).toContain('Download system report (PDF)')
      expect(listing.text).not.toContain('Publish the results')

      // Publishing again changes nothing and is not audited twice.
      await lead
        .post(`/rounds/${current.id}/publish`)
        .type('form')
        .send({ _csrf: csrfFrom(closed.text), confirm: 'yes' })
      expect(
        await context
          .db('audit_events')
          .where({ kind: 'results.published', subject_id: String(current.id) })
          .select('id'),
      ).toHaveLength(1)
    })

    it('lets a place lead download only their own place’s report, and not the system report', async () => {
      expect((await download(placeLead, `/rounds/${baseline.id}/places/${wirral.id}/report.pdf`)).status).toBe(200)
      expect((await placeLead.get(`/rounds/${baseline.id}/places/${liverpool.id}/report.pdf`)).status).toBe(404)
      expect((await placeLead.get(`/rounds/${baseline.id}/report.pdf`)).status).toBe(403)
      const listing = await placeLead.get(`/rounds/${baseline.id}/reports`)
      expect(listing.text).toContain('Download Wirral place report (PDF)')
      expect(listing.text).not.toContain('Liverpool')
    })

    it('links the system report from the dashboard for those who may download it', async () => {
      const forViewer = await viewer.get(`/rounds/${baseline.id}/dashboard`)
      expect(forViewer.status).toBe(200)
      expect(forViewer.text).toContain(`<a href="/rounds/${baseline.id}/report.pdf" download>Download system report (PDF)</a>`)
      const forPlaceLead = await placeLead.get(`/rounds/${baseline.id}/dashboard`)
      expect(forPlaceLead.text).not.toContain('Download system report (PDF)')
      expect(forPlaceLead.text).toContain(`href="/rounds/${baseline.id}/reports"`)
      const placePage = await viewer.get(`/places/${wirral.id}`)
      expect(placePage.text).toContain(`href="/rounds/${baseline.id}/places/${wirral.id}/report.pdf"`)
    })

    it('refuses a place that is not in the round’s ICS, and a partner', async () => {
      expect((await lead.get(`/rounds/${baseline.id}/places/999999/report.pdf`)).status).toBe(404)
      const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
      expect((await partner.get(`/rounds/${baseline.id}/places/${wirral.id}/report.pdf`)).status).toBe(403)
    })
  })
})
