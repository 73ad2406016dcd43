import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { ValidationError } from '../../errors'
import { arrayTable, csvContentType, toCsv } from '../../exports/csv'
import { formErrorView, type FormError } from '../../forms/errors'
import { importColumns } from '../../imports/partnersCsv'
import type { BodyRule } from '../../middleware/body'
import { organisationKindLabels, organisationKinds } from '../../organisations/kinds'
import { maxImportBytes, type ImportService } from '../../services/importService'
import { actorOf } from '../forms'
import { idParam } from '../params'
import { leadIcsId } from './scope'
import { pageNumber } from './pagination'

/** A file of up to 5 MB, or the same rows pasted (urlencoded, so up to three times larger). */
const uploadBody: BodyRule = { accepts: ['form', 'multipart'], limitBytes: 3 * maxImportBytes + 64 * 1024, maxFields: 10 }

const problemsPageSize = 100

/** A few rows of every kind, to start from. */
const templateRows = [
  ['Northfield', '', '', '', ''],
  ['Northfield', 'Northfield Council', 'Local authority', 'Alex Example', 'alex.example@northfield.gov.uk'],
  ['Northfield', 'Northfield Council', 'Local authority', 'Sam Sample', 'sam.sample@northfield.gov.uk'],
  ['Northfield', 'Northfield Carers Network', 'VCSE', '', ''],
]

/**
 * The CSV import of places, partner organisations and contacts: upload (a file, or its rows
 * pasted), a page that follows the check, a preview that lists every problem or what would be
 * added, then the import itself, all or nothing.
 */
export function importRoutes({ imports }: { imports: ImportService }) {
  const r = guardedRouter()
  const lead = allow.roles('ics_lead')

  async function renderStart(req: Request, res: Response, values: Record<string, unknown> = {}, errors: FormError[] = [], status = 200) {
    const icsId = leadIcsId(req.user!, req.query.ics)
    res.status(status).render('admin/imports', {
      title: 'Import places, organisations and contacts',
      icsId,
      recent: await imports.recent(req.user!, icsId),
      columns: importColumns,
      kinds: organisationKinds.map((k) => organisationKindLabels[k]),
      values,
      ...formErrorView(errors),
    })
  }

  r.get('/admin/imports', lead, (req, res) => renderStart(req, res))

  r.get('/admin/imports/template.csv', lead, (_req, res) => {
    res
      .type(csvContentType)
      .attachment('placeready-import-template.csv')
      .send(toCsv(arrayTable('Import', [...importColumns]), templateRows))
  })

  r.post('/admin/imports', { access: lead, body: uploadBody }, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const pasted = typeof body.rows === 'string' ? body.rows : ''
    if (req.upload?.tooLarge)
      return renderStart(
        req,
        res,
        { rows: pasted },
        [{ text: 'The file must be smaller than 5 MB: split it into smaller files', href: '#file' }],
        400,
      )
    const file = req.upload
    const bytes = file && file.bytes.length > 0 ? file.bytes : Buffer.from(pasted, 'utf8')
    const filename = file && file.bytes.length > 0 ? file.filename : 'Pasted rows'
    let id: number
    try {
      id = await imports.start(actorOf(req), leadIcsId(req.user!, req.query.ics), filename, bytes)
    } catch (error) {
      if (error instanceof ValidationError) return renderStart(req, res, { rows: pasted }, error.errors, 400)
      throw error
    }
    res.redirect(303, `/admin/imports/${id}`)
  })

  r.get('/admin/imports/:id', lead, async (req, res) => {
    const progress = await imports.progress(req.user!, idParam(req, 'id'))
    const { job } = progress
    const page = pageNumber(req.query.page)
    const problems = job.status === 'invalid' ? await imports.problems(req.user!, job.id) : []
    const pages = Math.max(1, Math.ceil(problems.length / problemsPageSize))
    const plan = job.status === 'checked' ? await imports.plan(req.user!, job.id) : undefined
    res.render('admin/import', {
      title:
        job.status === 'invalid'
          ? `Problems in ${job.filename}`
          : job.status === 'checked'
            ? `Check before you import ${job.filename}`
            : `Import of ${job.filename}`,
      ...progress,
      problems: problems.slice((page - 1) * problemsPageSize, page * problemsPageSize),
      problemPage: {
        page,
        pages,
        first: (page - 1) * problemsPageSize + 1,
        previousHref: page > 1 ? `/admin/imports/${job.id}?page=${page - 1}` : undefined,
        nextHref: page < pages ? `/admin/imports/${job.id}?page=${page + 1}` : undefined,
      },
      plan,
      refreshSeconds: progress.working ? 2 : undefined,
      backLink: { href: '/admin/imports', text: 'Imports' },
    })
  })

  r.get('/admin/imports/:id/status.json', lead, async (req, res) => {
    const { job, working, percent } = await imports.progress(req.user!, idParam(req, 'id'))
    res
      .set('Cache-Control', 'no-store')
      .json({ status: job.status, working, percent, processedRows: job.processedRows, totalRows: job.totalRows })
  })

  r.get('/admin/imports/:id/problems.csv', lead, async (req, res) => {
    const { header, rows } = await imports.problemRows(req.user!, idParam(req, 'id'))
    res
      .type(csvContentType)
      .attachment(`import-${idParam(req, 'id')}-rows-with-problems.csv`)
      .send(toCsv(arrayTable('Rows with problems', header), rows))
  })

  r.post('/admin/imports/:id/confirm', lead, async (req, res) => {
    await imports.confirm(actorOf(req), idParam(req, 'id'))
    res.redirect(303, `/admin/imports/${idParam(req, 'id')}`)
  })

  r.post('/admin/imports/:id/cancel', lead, async (req, res) => {
    await imports.cancel(actorOf(req), idParam(req, 'id'))
    res.redirect(303, '/admin/imports')
  })

  return r.router
}
