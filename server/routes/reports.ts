import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { formErrorView } from '../forms/errors'
import { parseForm } from '../forms/parse'
import { publishResultsForm } from '../forms/reports'
import { writePdf } from '../reports/renderPdf'
import type { Report, ReportService } from '../services/reportService'
import { actorOf, blankForm, handleForm, type FormState } from './forms'
import { idParam } from './params'

/**
 * Streams a report as a PDF download. The document is built (and every access check made)
 * before the first byte goes out, so a refusal is still a proper 404; then pages stream as
 * they are laid out, with no temporary file.
 */
export async function sendPdf(res: Response, report: Report): Promise<void> {
  res.status(200)
  res.type('application/pdf')
  res.setHeader('Content-Disposition', `attachment; filename="${report.fileName}"`)
  // Drafts and personal data: never kept by a browser or proxy.
  res.setHeader('Cache-Control', 'no-store')
  await writePdf(report.document, res)
}

/** Place and system reports as PDFs, the round's reports page, and publishing a round's results. */
export function reportRoutes(reports: ReportService) {
  const r = guardedRouter()

  r.get('/rounds/:roundId/places/:placeId/report.pdf', allow.roles('ics_lead', 'place_lead', 'viewer'), async (req, res) => {
    await sendPdf(res, await reports.placeReport(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId')))
  })

  r.get('/rounds/:roundId/report.pdf', allow.roles('ics_lead', 'viewer'), async (req, res) => {
    await sendPdf(res, await reports.systemReport(req.user!, idParam(req, 'roundId')))
  })

  async function renderReports(req: Request, res: Response, { errors }: FormState) {
    const view = await reports.roundReports(req.user!, idParam(req, 'roundId'))
    res.render('reports/round', { title: `Reports: ${view.round.title}`, view, ...formErrorView(errors) })
  }

  r.get('/rounds/:roundId/reports', allow.roles('ics_lead', 'place_lead', 'viewer'), (req, res) => renderReports(req, res, blankForm))

  r.post(
    '/rounds/:roundId/publish',
    allow.roles('ics_lead'),
    handleForm(renderReports, async (req, res) => {
      const input = parseForm(publishResultsForm, req.body)
      await reports.publish(actorOf(req), idParam(req, 'roundId'), input)
      res.redirect(303, `/rounds/${idParam(req, 'roundId')}/reports`)
    }),
  )

  return r.router
}
