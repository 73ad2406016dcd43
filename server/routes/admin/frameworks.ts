import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { NotFoundError } from '../../errors'
import { formErrorView, type FormError } from '../../forms/errors'
import type { FrameworkProblem } from '../../framework/types'
import type { BodyRule } from '../../middleware/body'
import { FrameworkValidationError, FrameworkVersionLockedError, type FrameworkService } from '../../services/frameworkService'
import { actorOf } from '../forms'
import { idParam } from '../params'
import { leadIcsId } from './scope'

/** A framework file of up to 2 MB, or the same JSON pasted (urlencoded, so up to three times larger). */
const frameworkBody: BodyRule = { accepts: ['form', 'multipart'], limitBytes: 6 * 1024 * 1024, maxFields: 10 }
const maxFrameworkBytes = 2 * 1024 * 1024

/** The JSON sent: an uploaded file, else the text area; or the error to show. */
function frameworkText(req: Request, field: 'document' | 'json'): { ok: true; text: string } | { ok: false; error: FormError } {
  const body = req.body as Record<string, unknown>
  if (req.upload?.tooLarge || (req.upload?.bytes.length ?? 0) > maxFrameworkBytes)
    return { ok: false, error: { text: 'The file must be smaller than 2 MB', href: '#file' } }
  const text =
    req.upload && req.upload.bytes.length > 0
      ? req.upload.bytes.toString('utf8')
      : typeof body[field] === 'string'
        ? (body[field] as string)
        : ''
  if (!text.trim()) return { ok: false, error: { text: 'Choose a framework file (JSON), or paste its text', href: '#file' } }
  return { ok: true, text }
}

/** Each problem of a framework file as a form error that names its JSON path. */
function problemErrors(problems: FrameworkProblem[], href: `#${string}`): FormError[] {
  return problems.map((p) => ({ text: `${p.path} ${p.message}`, href }))
}

/**
 * The ICS lead's frameworks: every version they may run rounds on (the bundled ones and their
 * own), uploading a new one (checked against the published schema and the consistency rules;
 * nothing is created while any problem remains), comparing two versions, downloading any, and
 * starting a draft from one, to change until a round uses it.
 */
export function frameworkAdminRoutes({ frameworks }: { frameworks: FrameworkService }) {
  const r = guardedRouter()
  const lead = allow.roles('ics_lead')

  async function renderList(
    req: Request,
    res: Response,
    options: { errors?: FormError[]; problems?: FrameworkProblem[]; values?: Record<string, unknown>; status?: number } = {},
  ) {
    const icsId = leadIcsId(req.user!, req.query.ics)
    const versions = await frameworks.visibleVersions(req.user!, icsId)
    res.status(options.status ?? 200).render('admin/frameworks', {
      title: 'Frameworks',
      icsId,
      versions,
      versionItems: versions.map((v) => ({ value: v.id, text: `${v.title}, version ${v.versionLabel}` })),
      problems: options.problems ?? [],
      values: options.values ?? {},
      existing: typeof req.query.existing === 'string' ? req.query.existing : undefined,
      ...formErrorView(options.errors ?? []),
    })
  }

  r.get('/admin/frameworks', lead, (req, res) => renderList(req, res))

  r.post('/admin/frameworks', { access: lead, body: frameworkBody }, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const values = { json: typeof body.json === 'string' ? body.json : '' }
    const sent = frameworkText(req, 'json')
    if (!sent.ok) return renderList(req, res, { errors: [sent.error], values, status: 400 })
    try {
      const { version, created } = await frameworks.upload(actorOf(req), leadIcsId(req.user!, req.query.ics), sent.text)
      res.redirect(303, `/admin/frameworks/${version.id}${created ? '?uploaded=1' : '?existing=1'}`)
    } catch (error) {
      if (!(error instanceof FrameworkValidationError)) throw error
      return renderList(req, res, { errors: problemErrors(error.problems, '#file'), problems: error.problems, values, status: 400 })
    }
  })

  r.get('/admin/frameworks/compare', lead, async (req, res) => {
    const icsId = leadIcsId(req.user!, req.query.ics)
    const from = Number(req.query.from)
    const to = Number(req.query.to)
    const versions = await frameworks.visibleVersions(req.user!, icsId)
    const items = versions.map((v) => ({ value: v.id, text: `${v.title}, version ${v.versionLabel}` }))
    if (!Number.isInteger(from) || !Number.isInteger(to) || from <= 0 || to <= 0) {
      const errors: FormError[] = []
      if (req.query.from !== undefined || req.query.to !== undefined) {
        if (!(from > 0)) errors.push({ text: 'Select the version to compare from', href: '#from' })
        if (!(to > 0)) errors.push({ text: 'Select the version to compare with', href: '#to' })
      }
      return res.status(errors.length ? 400 : 200).render('admin/framework-compare', {
        title: 'Compare framework versions',
        versionItems: [{ value: '', text: 'Choose a version' }, ...items],
        values: req.query,
        backLink: { href: '/admin/frameworks', text: 'Frameworks' },
        ...formErrorView(errors),
      })
    }
    const comparison = await frameworks.compare(req.user!, icsId, from, to)
    res.render('admin/framework-compare', {
      title: `Compare ${comparison.from.versionLabel} with ${comparison.to.versionLabel}`,
      versionItems: items,
      values: { from, to },
      ...comparison,
      backLink: { href: '/admin/frameworks', text: 'Frameworks' },
      ...formErrorView([]),
    })
  })

  async function renderVersion(
    req: Request,
    res: Response,
    options: { errors?: FormError[]; problems?: FrameworkProblem[]; values?: Record<string, unknown>; status?: number } = {},
  ) {
    const icsId = leadIcsId(req.user!, req.query.ics)
    const version = await frameworks.visibleVersion(req.user!, icsId, idParam(req, 'versionId'))
    res.status(options.status ?? 200).render('admin/framework-version', {
      title: `${version.title}, version ${version.versionLabel}`,
      version,
      uploaded: req.query.uploaded === '1',
      existing: req.query.existing === '1',
      saved: req.query.saved === '1',
      problems: options.problems ?? [],
      values: { document: JSON.stringify(version.document, null, 2), ...(options.values ?? {}) },
      backLink: { href: '/admin/frameworks', text: 'Frameworks' },
      ...formErrorView(options.errors ?? []),
    })
  }

  r.get('/admin/frameworks/:versionId', lead, (req, res) => renderVersion(req, res))

  r.get('/admin/frameworks/:versionId/download.json', lead, async (req, res) => {
    const version = await frameworks.visibleVersion(req.user!, leadIcsId(req.user!, req.query.ics), idParam(req, 'versionId'))
    const name = `${version.slug}-${version.versionLabel}`.replace(/[^A-Za-z0-9.-]+/g, '-')
    res
      .type('application/json')
      .attachment(`${name}.json`)
      .send(`${JSON.stringify(version.document, null, 2)}\n`)
  })

  r.post('/admin/frameworks/:versionId/drafts', lead, async (req, res) => {
    const draft = await frameworks.newDraft(actorOf(req), leadIcsId(req.user!, req.query.ics), idParam(req, 'versionId'))
    res.redirect(303, `/admin/frameworks/${draft.id}?uploaded=1`)
  })

  r.post('/admin/frameworks/:versionId', { access: lead, body: frameworkBody }, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const values = { document: typeof body.document === 'string' ? body.document : '' }
    const sent = frameworkText(req, 'document')
    if (!sent.ok) return renderVersion(req, res, { errors: [{ ...sent.error, href: '#document' }], values, status: 400 })
    try {
      await frameworks.changeDraft(actorOf(req), leadIcsId(req.user!, req.query.ics), idParam(req, 'versionId'), sent.text)
    } catch (error) {
      if (error instanceof FrameworkValidationError)
        return renderVersion(req, res, {
          errors: problemErrors(error.problems, '#document'),
          problems: error.problems,
          values,
          status: 400,
        })
      if (error instanceof FrameworkVersionLockedError)
        return renderVersion(req, res, {
          errors: [{ text: 'A round uses this version, so it can no longer change: start a new draft from it instead', href: '#document' }],
          values,
          status: 400,
        })
      if (error instanceof NotFoundError) throw error
      throw error
    }
    res.redirect(303, `/admin/frameworks/${idParam(req, 'versionId')}?saved=1`)
  })

  return r.router
}
