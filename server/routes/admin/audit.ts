import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { auditFilterForm, type AuditFilterInput } from '../../forms/auditFilter'
import { formErrorView } from '../../forms/errors'
import { parseForm } from '../../forms/parse'
import { auditKinds, type AuditService } from '../../services/auditService'
import type { UserAdminService } from '../../services/userAdminService'
import { isoDate, nextDay, startOfLondonDay } from '../../time/london'
import { handleForm, typedValues, type FormState } from '../forms'
import { pageSize, pagination } from './pagination'
import { leadIcsId } from './scope'

const auditFilter = auditFilterForm(Object.keys(auditKinds))

/** The ICS lead's audit trail, filtered by person, kind of event and dates (UK days). */
export function auditRoutes({ audit, userAdmin }: { audit: AuditService; userAdmin: UserAdminService }) {
  const r = guardedRouter()

  /** The trail with the filter applied; a filter that cannot be used shows every event, with its errors. */
  async function renderAudit(req: Request, res: Response, form: FormState, filter: Partial<AuditFilterInput> = {}) {
    const user = req.user!
    const icsId = leadIcsId(user, req.query.ics)
    const page = filter.page ?? 1
    const { events, total } = await audit.list({
      icsIds: [icsId],
      userId: filter.user,
      kind: filter.kind,
      from: filter.from ? startOfLondonDay(filter.from) : undefined,
      before: filter.to ? startOfLondonDay(nextDay(filter.to)) : undefined,
      page,
      pageSize,
    })
    const users = await userAdmin.names(user, icsId)
    const query = new URLSearchParams(
      Object.entries({
        user: filter.user,
        kind: filter.kind,
        from: filter.from && isoDate(filter.from),
        to: filter.to && isoDate(filter.to),
      })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ).toString()
    res.render('admin/audit', {
      title: 'Audit trail',
      events,
      values: form.values,
      userItems: [{ value: '', text: 'Anyone' }, ...users.map((u) => ({ value: u.id, text: `${u.name} (${u.email})` }))],
      kindItems: [{ value: '', text: 'Any kind' }, ...Object.entries(auditKinds).map(([value, text]) => ({ value, text }))],
      ...pagination(page, total, `/admin/audit?${query ? query + '&' : ''}`),
      ...formErrorView(form.errors),
    })
  }

  r.get(
    '/admin/audit',
    allow.roles('ics_lead'),
    handleForm(
      (req, res, { errors }) => renderAudit(req, res, { errors, values: typedValues(req.query) }),
      async (req, res) => renderAudit(req, res, { errors: [], values: typedValues(req.query) }, parseForm(auditFilter, req.query)),
    ),
  )

  return r.router
}
