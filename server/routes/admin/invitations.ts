import type { Request, Response } from 'express'
import { z } from 'zod'
import { allow, isIcsLead } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { roles } from '../../auth/types'
import type { PlaceData } from '../../data/places'
import { formErrorView, fromZod, type FormError } from '../../forms/errors'
import { InvitationError, type InvitationService } from '../../services/invitationService'
import { idParam } from '../params'
import { pageNumber, pageSize, pagination } from './pagination'
import { currentIcsId, scopeChoices } from './scope'

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

/** Inviting people, and resending or revoking invitations (ICS leads, and place leads for their partners). */
export function invitationRoutes({ invitations, places }: { invitations: InvitationService; places: PlaceData }) {
  const r = guardedRouter()

  async function renderInvitations(req: Request, res: Response, values: Record<string, unknown>, errors: FormError[], status = 200) {
    const user = req.user!
    const icsId = currentIcsId(user, req.query.ics)
    const page = pageNumber(req.query.page)
    const { invitations: list, total } = await invitations.list(user, icsId, page, pageSize)
    res.status(status).render('admin/invitations', {
      title: 'Invitations',
      icsId,
      isLead: isIcsLead(user, icsId),
      invitations: list,
      ...pagination(page, total, `/admin/invitations?ics=${icsId}&`),
      values,
      sent: req.query.sent === '1',
      ...(await scopeChoices(places, user, icsId)),
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
      await invitations.resend(req.user!, idParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof InvitationError) return renderInvitations(req, res, {}, error.errors, 400)
      throw error
    }
    res.redirect(303, '/admin/invitations')
  })

  r.post('/admin/invitations/:id/revoke', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    try {
      await invitations.revoke(req.user!, idParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof InvitationError) return renderInvitations(req, res, {}, error.errors, 400)
      throw error
    }
    res.redirect(303, '/admin/invitations')
  })

  return r.router
}
