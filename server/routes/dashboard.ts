import { randomUUID } from 'node:crypto'
import type { Request } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { BoundedCache } from '../boundedCache'
import { chartJson, type DataTable } from '../dashboard/model'
import { arrayTable, csvContentType, toCsv } from '../exports/csv'
import { excelContentType, sheet, workbookBuffer } from '../exports/excel'
import { reportLinksFor } from '../services/reportService'
import type { DashboardService } from '../services/dashboardService'
import { renderView } from '../views/render'
import { idParam } from './params'

const readers = allow.roles('ics_lead', 'place_lead', 'viewer')
/** Rendered dashboards each process keeps (most recently used), about 100 kB each. */
const cachedBodies = 50
/** Stands in the layout for the dashboard's cached main content; random, so no page text can match it. */
const bodyMarker = `<!--dashboard-body-${randomUUID()}-->`

/**
 * The templates' indentation between tags, kept to one character (a line break where there was
 * one): a browser shows any run of spaces between tags as one, and the heatmap and tables repeat
 * it in every cell, some 8% of the page. The dashboard has no <pre> or <textarea>, and its chart
 * figures' JSON has every `<` escaped, so nothing in them is touched.
 */
function collapseSpaceBetweenTags(html: string): string {
  return html.replace(/>\s+</g, (space) => (space.includes('\n') ? '>\n<' : '> <'))
}

function tableOf(table: DataTable) {
  return { table: arrayTable(table.name, table.headers), rows: table.rows }
}

/** A file name from a round's title: letters, digits and hyphens only. */
function fileName(title: string, extension: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
  return `dashboard-${slug || 'round'}.${extension}`
}

/**
 * The dashboard of a round (ICS leads and ICS-wide viewers: every place; place leads and place
 * viewers: their place against the ICS median), and its downloads: the same figures, with the
 * same filters, as CSV (the heatmap) and as a workbook (every table of the page).
 */
export function dashboardRoutes(dashboards: DashboardService) {
  const r = guardedRouter()
  const page = (req: Request) => dashboards.dashboard(req.user!, idParam(req, 'roundId'), req.query as Record<string, unknown>)

  r.get('/dashboard', readers, async (req, res) => {
    const roundId = await dashboards.defaultRoundId(req.user!)
    if (roundId !== undefined) return res.redirect(303, `/rounds/${roundId}/dashboard`)
    res.render('dashboard/no-rounds', { title: 'Dashboard' })
  })

  // The page's main content, rendered once for everyone who would see the same (the page's key says
  // everything it depends on; the report links are added to it). It holds nothing personal: no
  // form token, which the layout around it adds for each request. It is kept as
  // UTF-8 bytes: turning some 100 kB of text into bytes on every request cost more than the rest
  // of the request, so only the layout around it is rendered and encoded each time.
  const bodies = new BoundedCache<string, Promise<Buffer>>(cachedBodies)

  r.get('/rounds/:roundId/dashboard', readers, async (req, res) => {
    const { view, rounds, key, reportsOf } = await page(req)
    // From what the page holds: no more queries.
    const reportLinks = reportLinksFor(req.user!, reportsOf.icsId, reportsOf.published, reportsOf.places)
    const bodyKey = JSON.stringify([key, reportLinks])
    const body = await bodies.shared(bodyKey, async () =>
      Buffer.from(
        collapseSpaceBetweenTags(
          await renderView(req.app, 'dashboard/index', {
            layout: false,
            dashboard: view,
            rounds,
            chartJson: chartJson(view.charts),
            reports: reportLinks,
          }),
        ),
      ),
    )
    const around = await renderView(res, 'dashboard/page', {
      title: `Dashboard: ${view.round.title}`,
      // The header marks Dashboard as the current section, not Rounds (the address starts /rounds/).
      currentSection: '/dashboard',
      dashboardBody: bodyMarker,
    })
    const at = around.indexOf(bodyMarker)
    const [head, tail] = [Buffer.from(around.slice(0, at)), Buffer.from(around.slice(at + bodyMarker.length))]
    // Written as three pieces (one system call) rather than copied into one buffer a request.
    res
      .type('html')
      .set('Content-Length', String(head.length + body.length + tail.length))
      .status(200)
    res.write(head)
    res.write(body)
    res.end(tail)
  })

  r.get('/rounds/:roundId/dashboard.csv', readers, async (req, res) => {
    const { view } = await page(req)
    const { table, rows } = tableOf(view.heatmap.table)
    res
      .type(csvContentType)
      .attachment(fileName(view.round.title, 'csv'))
      .set('Cache-Control', 'private, no-store')
      .send(toCsv(table, rows))
  })

  r.get('/rounds/:roundId/dashboard.xlsx', readers, async (req, res) => {
    const { view } = await page(req)
    const workbook = await workbookBuffer(
      view.tables.map((t) => {
        const { table, rows } = tableOf(t)
        return sheet(table, rows)
      }),
    )
    res.type(excelContentType).attachment(fileName(view.round.title, 'xlsx')).set('Cache-Control', 'private, no-store').send(workbook)
  })

  return r.router
}
