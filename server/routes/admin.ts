import type { Request, Response } from 'express'
import { z } from 'zod'
import { allow, icsIdsWithRole, isIcsLead, managedPlaceIds } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { roles, roleLabels, type CurrentUser, type Role } from '../auth/types'
import { PlaceData } from '../data/places'
import type { Database } from '../db/connection'
import { formErrorView, fromZod, type FormError } from '../forms/errors'
import { HttpError, NotFoundError } from '../middleware/errors'
import { auditKinds, type AuditService } from '../services/auditService'
import { InvitationError, type InvitationService } from '../services/invitationService'
import type { Mailer } from '../services/mailer'
import { UserAdminError, type UserAdminService } from '../services/userAdminService'
import { isoDate, nextDay, parseIsoDate, startOfLondonDay } from '../time/london'

export interface AdminRouteDeps {
  db: Database
  invitations: InvitationService
  userAdmin: UserAdminService
  audit: AuditService
  mailer: Mailer
}

const pageSize = 50

const optionalId = z.preprocess((v) => (v === '' || v === undefined ? null : v), z.coerce.number().int().positive().nullable())

const invitationForm = z.object({
  name: z.string().trim().min(1, 'Enter the person’s full name').max(200, 'Name must be 200 characters or fewer'),
  email: z
    .string()
    .trim()
    .min(1, 'Enter their email address')
    .max(320, 'Email address must be 320 characters or fewer')
    .pipe(z.email('Enter an email address in the correct format, like name@example.org')),
  role: z.enum(roles, { error: 'Select a role' }),
  placeId: optionalId,
  organisationId: optionalId,
})

const membershipForm = z.object({
  role: z.enum(roles, { error: 'Select a role' }),
  placeId: optionalId,
  organisationId: optionalId,
})

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

/**
 * The ICS whose administration pages are shown: the one asked for, if the user may manage
 * it, else the first they lead. Place leads work in the ICS of their place.
 */
function currentIcsId(user: CurrentUser, requested: unknown): number {
  const candidates = [...new Set(user.memberships.filter((m) => m.role === 'ics_lead' || m.role === 'place_lead').map((m) => m.icsId))]
  const asked = Number(requested)
  if (candidates.includes(asked)) return asked
  const first = icsIdsWithRole(user, 'ics_lead')[0] ?? candidates[0]
  if (first === undefined) throw new HttpError(403, 'You do not have permission to see this page.', 'forbidden')
  return first
}

function leadIcsId(user: CurrentUser, requested: unknown): number {
  const icsId = currentIcsId(user, requested)
  if (!isIcsLead(user, icsId)) throw new HttpError(403, 'You do not have permission to see this page.', 'forbidden')
  return icsId
}

function numericParam(req: Request, name: string): number {
  const value = Number(req.params[name])
  if (!Number.isInteger(value) || value <= 0) throw new NotFoundError()
  return value
}

export function adminRoutes({ db, invitations, userAdmin, audit, mailer }: AdminRouteDeps) {
  const r = guardedRouter()
  const places = new PlaceData(db)

  /** The choices of scope for the invitation and role forms, limited to what the user manages. */
  async function scopeChoices(user: CurrentUser, icsId: number) {
    const lead = isIcsLead(user, icsId)
    const placeList = (await places.listPlaces(icsId)).filter((p) => lead || managedPlaceIds(user).includes(p.id))
    const organisations = (await places.listOrganisations({ icsId })).filter((o) => lead || managedPlaceIds(user).includes(o.placeId))
    const roleItems = (lead ? roles : (['partner'] as const)).map((role: Role) => ({ value: role, text: roleLabels[role] }))
    return {
      roleItems,
      placeItems: [{ value: '', text: 'Choose a place' }, ...placeList.map((p) => ({ value: p.id, text: p.name }))],
      organisationItems: [
        { value: '', text: 'Choose an organisation' },
        ...organisations.map((o) => ({ value: o.id, text: o.name, group: o.placeName })),
      ],
    }
  }

  async function renderInvitations(req: Request, res: Response, values: Record<string, unknown>, errors: FormError[], status = 200) {
    const user = req.user!
    const icsId = currentIcsId(user, req.query.ics)
    res.status(status).render('admin/invitations', {
      title: 'Invitations',
      icsId,
      isLead: isIcsLead(user, icsId),
      invitations: await invitations.list(user, icsId),
      values,
      sent: req.query.sent === '1',
      ...(await scopeChoices(user, icsId)),
      ...formErrorView(errors),
    })
  }

  r.get('/admin/invitations', allow.roles('ics_lead', 'place_lead'), (req, res) =>
    renderInvitations(req, res, { role: isIcsLead(req.user!, currentIcsId(req.user!, req.query.ics)) ? '' : 'partner' }, []),
  )

  r.post('/admin/invitations', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const values = { name: body.name, email: body.email, role: body.role, placeId: body.placeId, organisationId: body.organisationId }
    const parsed = invitationForm.safeParse(body)
    if (!parsed.success) return renderInvitations(req, res, values, fromZod(parsed.error), 400)
    const icsId = currentIcsId(req.user!, req.query.ics)
    try {
      await invitations.invite(req.user!, icsId, parsed.data, req.ip)
    } catch (error) {
      if (error instanceof InvitationError) return renderInvitations(req, res, values, error.errors, 400)
      throw error
    }
    res.redirect(303, `/admin/invitations?sent=1&ics=${icsId}`)
  })

  r.post('/admin/invitations/:id/resend', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    try {
      await invitations.resend(req.user!, numericParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof InvitationError) return renderInvitations(req, res, {}, error.errors, 400)
      throw error
    }
    res.redirect(303, '/admin/invitations')
  })

  r.post('/admin/invitations/:id/revoke', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    try {
      await invitations.revoke(req.user!, numericParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof InvitationError) return renderInvitations(req, res, {}, error.errors, 400)
      throw error
    }
    res.redirect(303, '/admin/invitations')
  })

  r.get('/admin/users', allow.roles('ics_lead'), async (req, res) => {
    const icsId = leadIcsId(req.user!, req.query.ics)
    res.render('admin/users', { title: 'Users', users: await userAdmin.list(req.user!, icsId), roleLabels })
  })

  async function renderUser(req: Request, res: Response, errors: FormError[], values: Record<string, unknown> = {}, status = 200) {
    const user = req.user!
    const icsId = leadIcsId(user, req.query.ics)
    const subject = await userAdmin.get(user, icsId, numericParam(req, 'id'))
    res.status(status).render('admin/user', {
      title: subject.name,
      subject,
      roleLabels,
      values,
      isSelf: subject.id === user.id,
      backLink: { href: '/admin/users', text: 'All users' },
      ...(await scopeChoices(user, icsId)),
      ...formErrorView(errors),
    })
  }

  r.get('/admin/users/:id', allow.roles('ics_lead'), (req, res) => renderUser(req, res, []))

  r.post('/admin/users/:id/memberships/:membershipId', allow.roles('ics_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const membershipId = numericParam(req, 'membershipId')
    const values = { membershipId, role: body.role, placeId: body.placeId, organisationId: body.organisationId }
    const parsed = membershipForm.safeParse(body)
    if (!parsed.success) return renderUser(req, res, fromZod(parsed.error), values, 400)
    try {
      await userAdmin.changeMembership(req.user!, leadIcsId(req.user!, req.query.ics), membershipId, parsed.data, req.ip)
    } catch (error) {
      if (error instanceof UserAdminError) return renderUser(req, res, error.errors, values, 400)
      throw error
    }
    res.redirect(303, `/admin/users/${numericParam(req, 'id')}`)
  })

  r.post('/admin/users/:id/deactivate', allow.roles('ics_lead'), async (req, res) => {
    try {
      await userAdmin.deactivate(req.user!, leadIcsId(req.user!, req.query.ics), numericParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof UserAdminError) return renderUser(req, res, error.errors, {}, 400)
      throw error
    }
    res.redirect(303, `/admin/users/${numericParam(req, 'id')}`)
  })

  r.post('/admin/users/:id/reactivate', allow.roles('ics_lead'), async (req, res) => {
    await userAdmin.reactivate(req.user!, leadIcsId(req.user!, req.query.ics), numericParam(req, 'id'), req.ip)
    res.redirect(303, `/admin/users/${numericParam(req, 'id')}`)
  })

  r.get('/admin/outbox', allow.roles('ics_lead'), async (req, res) => {
    const icsIds = icsIdsWithRole(req.user!, 'ics_lead')
    const page = Math.max(1, Math.min(100000, Number(req.query.page) || 1))
    const { messages, total } = await mailer.listForIcs(icsIds, page, pageSize)
    res.render('admin/outbox', { title: 'Outbox', messages, ...pagination(page, total, '/admin/outbox?') })
  })

  r.get('/admin/outbox/:id', allow.roles('ics_lead'), async (req, res) => {
    const message = await mailer.findForIcs(numericParam(req, 'id'), icsIdsWithRole(req.user!, 'ics_lead'))
    if (!message) throw new NotFoundError()
    res.render('admin/outbox-message', { title: message.subject, message, backLink: { href: '/admin/outbox', text: 'Outbox' } })
  })

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

function pagination(page: number, total: number, base: string) {
  const pages = Math.max(1, Math.ceil(total / pageSize))
  return {
    total,
    page,
    pages,
    previousHref: page > 1 ? `${base}page=${page - 1}` : undefined,
    nextHref: page < pages ? `${base}page=${page + 1}` : undefined,
  }
}
