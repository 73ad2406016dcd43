import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { NotFoundError } from '../errors'
import { csvContentType, writeCsv } from '../exports/csv'
import { excelContentType, sheet, writeWorkbook, type Sheet } from '../exports/excel'
import { writeAnswers, writeRoundJson } from '../exports/roundExports'
import type { Table } from '../exports/table'
import { auditTable, criterionResultRows, criterionResultsTable, planRows, planTable, readinessTable } from '../exports/tables'
import { formErrorView } from '../forms/errors'
import { auditRangeForm } from '../forms/exportForms'
import { parseForm } from '../forms/parse'
import { auditKinds } from '../services/auditService'
import type { ExportFormat, ExportKind, ExportScope, ExportService } from '../services/exportService'
import { londonDateOf, nextDay, startOfLondonDay } from '../time/london'
import { actorOf, handleForm, typedValues, type FormState } from './forms'
import { idParam } from './params'

type Format = 'csv' | 'xlsx'

/** "Place development self-assessment, October 2021 - answers.csv", safe in a Content-Disposition header. */
function fileName(scope: ExportScope, what: string, extension: string): string {
  const places = scope.placeIds ? ` - ${scope.places.map((p) => p.name).join(', ')}` : ''
  const base = `${scope.round.title}${places} - ${what}`.replace(/[^\p{L}\p{N} ,.()'’-]+/gu, ' ').slice(0, 180)
  return `${base}.${extension}`
}

/** Starts a download: its type and name, and no copy kept by a browser or proxy (personal data). */
function startDownload(res: Response, type: string, name: string): void {
  res.status(200)
  res.setHeader('Content-Type', type)
  res.attachment(name)
  res.setHeader('Cache-Control', 'no-store')
}

const dateParts = (prefix: string, date: { year: number; month: number; day: number }) => ({
  [`${prefix}-day`]: String(date.day),
  [`${prefix}-month`]: String(date.month),
  [`${prefix}-year`]: String(date.year),
})

/**
 * The round's downloads page and the downloads themselves: every answer, the results, the
 * development plan and the audit trail as CSV and Excel, and the whole round as JSON. Large
 * downloads stream from the database as they are written, so a round of any size can be
 * downloaded without holding it in memory. Place leads get their own places' part.
 */
export function exportRoutes(exports: ExportService, clock: () => Date) {
  const r = guardedRouter()
  const who = allow.roles('ics_lead', 'place_lead')
  const base = '/rounds/:roundId/downloads'

  /** The downloads page; with a form, its errors and what was typed, else the audit range's defaults. */
  async function renderPage(req: Request, res: Response, form?: FormState) {
    const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
    const defaults = { ...dateParts('from', londonDateOf(scope.round.opensAt)), ...dateParts('to', londonDateOf(clock())) }
    res.render('exports/downloads', {
      title: `Downloads: ${scope.round.title}`,
      scope,
      base: `/rounds/${scope.round.id}/downloads`,
      values: form?.values ?? defaults,
      backLink: scope.wholeIcs
        ? { href: `/rounds/${scope.round.id}/manage`, text: 'Back to the round' }
        : { href: `/rounds/${scope.round.id}/places/${scope.places[0]!.id}`, text: `Back to ${scope.places[0]!.name}` },
      ...formErrorView(form?.errors ?? []),
    })
  }

  r.get(base, who, (req, res) => renderPage(req, res))

  async function download<Row>(
    req: Request,
    res: Response,
    scope: ExportScope,
    kind: ExportKind,
    format: Format,
    what: string,
    sheets: Sheet[],
    csvTable?: Table<Row>,
    csvRows?: Iterable<Row> | AsyncIterable<Row>,
  ) {
    await exports.recordDownload(actorOf(req), scope, kind, format as ExportFormat)
    if (format === 'csv') {
      startDownload(res, csvContentType, fileName(scope, what, 'csv'))
      await writeCsv(res, csvTable ?? (sheets[0]!.table as Table<Row>), csvRows ?? (sheets[0]!.rows as Iterable<Row>))
    } else {
      startDownload(res, excelContentType, fileName(scope, what, 'xlsx'))
      await writeWorkbook(res, sheets)
    }
  }

  for (const format of ['csv', 'xlsx'] as const) {
    r.get(`${base}/answers.${format}`, who, async (req, res) => {
      const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
      await exports.recordDownload(actorOf(req), scope, 'answers', format)
      startDownload(res, format === 'csv' ? csvContentType : excelContentType, fileName(scope, 'answers', format))
      await writeAnswers(res, exports, scope, format)
    })

    r.get(`${base}/results.${format}`, who, async (req, res) => {
      const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
      const results = await exports.roundResults(scope)
      // The CSV is the one flat table (each criterion with its place's recommendation and
      // decision); the workbook adds a sheet of one row per place.
      const criteria = sheet(criterionResultsTable(results), criterionResultRows(results))
      await download(
        req,
        res,
        scope,
        'results',
        format,
        'results',
        format === 'csv' ? [criteria] : [sheet(readinessTable(results), results.places), criteria],
      )
    })

    r.get(`${base}/plan.${format}`, who, async (req, res) => {
      const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
      const results = await exports.roundResults(scope)
      await download(req, res, scope, 'plan', format, 'development plan', [sheet(planTable(results), planRows(results))])
    })

    r.get(
      `${base}/audit.${format}`,
      allow.roles('ics_lead'),
      // A range that cannot be used shows the downloads page again with its errors and the dates as typed.
      handleForm(
        (req, res, { errors }) => renderPage(req, res, { errors, values: typedValues(req.query) }),
        async (req, res) => {
          const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
          const { from, to } = parseForm(auditRangeForm, req.query)
          // The audit trail is the ICS's: a place lead who is not its ICS lead may not know it is there.
          if (!scope.wholeIcs) throw new NotFoundError()
          const range = { from: startOfLondonDay(from), before: startOfLondonDay(nextDay(to)) }
          await exports.recordDownload(actorOf(req), scope, 'audit', format, { from, to })
          const rows = exports.auditRows(scope, range)
          const table = auditTable(auditKinds)
          const name = fileName(
            scope,
            `audit trail ${[from, to].map((d) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`).join(' to ')}`,
            format,
          )
          if (format === 'csv') {
            startDownload(res, csvContentType, name)
            await writeCsv(res, table, rows)
          } else {
            startDownload(res, excelContentType, name)
            await writeWorkbook(res, [sheet(table, rows)])
          }
        },
      ),
    )
  }

  r.get(`${base}/round.json`, who, async (req, res) => {
    const scope = await exports.scopeFor(req.user!, idParam(req, 'roundId'))
    await exports.recordDownload(actorOf(req), scope, 'round', 'json')
    startDownload(res, 'application/json; charset=utf-8', fileName(scope, 'round', 'json'))
    await writeRoundJson(res, exports, scope, clock())
  })

  return r.router
}
