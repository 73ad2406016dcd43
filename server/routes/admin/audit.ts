import { z } from 'zod'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { formErrorView, fromZod } from '../../forms/errors'
import { auditKinds, type AuditService } from '../../services/auditService'
import type { UserAdminService } from '../../services/userAdminService'
import { isoDate, nextDay, parseIsoDate, startOfLondonDay } from '../../time/london'
import { pageSize, pagination } from './pagination'
import { leadIcsId } from './scope'

/** A "YYYY-MM-DD" field holding a real London calendar date. */
const realDate = (message: string) =>
  z.string(message).transform((v, ctx) => parseIsoDate(v) ?? (ctx.addIssue({ code: 'custom', message }), z.NEVER))

const auditFilter = z.object({
  user: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  kind: z.preprocess((v) => (v === '' ? undefined : v), z.enum(Object.keys(auditKinds) as [string, ...string[]]).optional()),
  from: z.preprocess((v) => (v === '' ? undefined : v), realDate('Enter the start date as a real date').optional()),
  to: z.preprocess((v) => (v === '' ? undefined : v), realDate('Enter the end date as a real date').optional()),
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
      from: filter.from ? startOfLondonDay(filter.from) : undefined,
      before: filter.to ? startOfLondonDay(nextDay(filter.to)) : undefined,
      page,
      pageSize,
    })
    const users = await userAdmin.list(user, icsId)
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
