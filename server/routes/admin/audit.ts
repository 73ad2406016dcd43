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
import { BoundedCache } from '../../boundedCache'
import { keptFragment, keptRows, renderPartial } from '../../views/fragments'
import { pageSize, pagination } from './pagination'
import { leadIcsId } from './scope'

const auditFilter = auditFilterForm(Object.keys(auditKinds))
const kindItems = [{ value: '', text: 'Any kind' }, ...Object.entries(auditKinds).map(([value, text]) => ({ value, text }))]

/** The ICS lead's audit trail, filtered by person, kind of event and dates (UK days). */
export function auditRoutes({ audit, userAdmin }: { audit: AuditService; userAdmin: UserAdminService }) {
  const r = guardedRouter()
  // The filter's two lists (the ICS's people, the kinds of event), rendered once per version of the people and per choice.
  const selects = new BoundedCache<string, string>(200)
  // Each event's row as rendered, kept by what it shows: an event never changes, its actor's name may.
  const rows = new BoundedCache<string, string>(2000)
  // Filters as parsed, by query string: the same few (none, above all) come again and again, and checking one costs more than a page of rows.
  const filters = new BoundedCache<string, AuditFilterInput>(200)
  const parseFilter = (query: unknown): AuditFilterInput => {
    const key = JSON.stringify(query)
    let filter = filters.get(key)
    if (filter === undefined) {
      filter = parseForm(auditFilter, query)
      if (key.length <= 500) filters.set(key, filter)
    }
    return filter
  }

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
    const { fieldErrors } = formErrorView(form.errors)
    const select = async (id: string, label: string, key: string, items: () => Promise<Array<{ value: unknown; text: string }>>) => {
      const field = { id, label, value: form.values[id], error: fieldErrors[id] }
      const render = async () => renderPartial(req.app, 'partials/fields/select', { field: { ...field, items: await items() } })
      // Only what a person picks is kept (an option's value), not whatever a query string holds.
      const usual = field.value === undefined || (typeof field.value === 'string' && field.value.length <= 40)
      return usual ? keptFragment(req.app, selects, JSON.stringify([key, field]), render) : render()
    }
    const userSelect = await select('user', 'Who', `${icsId}:${await userAdmin.namesVersion(user, icsId)}`, async () => [
      { value: '', text: 'Anyone' },
      ...(await userAdmin.names(user, icsId)).map((u) => ({ value: u.id, text: `${u.name} (${u.email})` })),
    ])
    const kindSelect = await select('kind', 'What', '', async () => kindItems)
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
      // An event is never changed; only its actor's name and address can be.
      rows: await keptRows(req.app, rows, events, { view: 'admin/_audit-row', as: 'e', key: (e) => [e.id, e.actorName, e.actorEmail] }),
      values: form.values,
      userSelect,
      kindSelect,
      ...pagination(page, total, `/admin/audit?${query ? query + '&' : ''}`),
      ...formErrorView(form.errors),
    })
  }

  r.get(
    '/admin/audit',
    allow.roles('ics_lead'),
    handleForm(
      (req, res, { errors }) => renderAudit(req, res, { errors, values: typedValues(req.query) }),
      async (req, res) => renderAudit(req, res, { errors: [], values: typedValues(req.query) }, parseFilter(req.query)),
    ),
  )

  return r.router
}
