import { z } from 'zod'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { formErrorView, fromZod } from '../../forms/errors'
import { auditKinds, type AuditService } from '../../services/auditService'
import type { UserAdminService } from '../../services/userAdminService'
import { pageSize, pagination } from './pagination'
import { leadIcsId } from './scope'

const auditFilter = z.object({
  user: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  kind: z.preprocess((v) => (v === '' ? undefined : v), z.enum(Object.keys(auditKinds) as [string, ...string[]]).optional()),
  from: z.preprocess((v) => (v === '' ? undefined : v), z.iso.date('Enter the start date as a real date').optional()),
  to: z.preprocess((v) => (v === '' ? undefined : v), z.iso.date('Enter the end date as a real date').optional()),
  page: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(100000).optional()),
})

/** The ICS lead's audit trail, filtered by person, kind of event and dates. */
export function auditRoutes({ audit, userAdmin }: { audit: AuditService; userAdmin: UserAdminService }) {
  const r = guardedRouter()

  r.get('/admin/audit', allow.roles('ics_lead'), async (req, res) => {
    const user = req.user!
    const icsId = leadIcsId(user, req.query.ics)
    const parsed = auditFilter.safeParse(req.query)
    const filter = parsed.success ? parsed.data : {}
    const errors = parsed.success ? [] : fromZod(parsed.error)
    const page = filter.page ?? 1
    const { events, total } = await audit.list({
      icsIds: [icsId],
      userId: filter.user,
      kind: filter.kind,
      from: filter.from ? new Date(`${filter.from}T00:00:00Z`) : undefined,
      to: filter.to ? new Date(`${filter.to}T00:00:00Z`) : undefined,
      page,
      pageSize,
    })
    const users = await userAdmin.list(user, icsId)
    const query = new URLSearchParams(
      Object.entries({ user: filter.user, kind: filter.kind, from: filter.from, to: filter.to })
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, String(v)]),
    ).toString()
    res.status(errors.length ? 400 : 200).render('admin/audit', {
      title: 'Audit trail',
      events,
      values: req.query,
      userItems: [{ value: '', text: 'Anyone' }, ...users.map((u) => ({ value: u.id, text: `${u.name} (${u.email})` }))],
      kindItems: [{ value: '', text: 'Any kind' }, ...Object.entries(auditKinds).map(([value, text]) => ({ value, text }))],
      ...pagination(page, total, `/admin/audit?${query ? query + '&' : ''}`),
      ...formErrorView(errors),
    })
  })

  return r.router
}
