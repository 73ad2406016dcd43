import type { Request, Response } from 'express'
import { z } from 'zod'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { roles, roleLabels } from '../../auth/types'
import type { PlaceData } from '../../data/places'
import { formErrorView, fromZod, type FormError } from '../../forms/errors'
import { UserAdminError, type UserAdminService } from '../../services/userAdminService'
import { idParam } from '../params'
import { leadIcsId, scopeChoices } from './scope'

const optionalId = z.preprocess((v) => (v === '' || v === undefined ? null : v), z.coerce.number().int().positive().nullable())

const membershipForm = z.object({
  role: z.enum(roles, { error: 'Select a role' }),
  placeId: optionalId,
  organisationId: optionalId,
})

/** The ICS lead's users: the list, one person's roles, deactivating and reactivating. */
export function userRoutes({ userAdmin, places }: { userAdmin: UserAdminService; places: PlaceData }) {
  const r = guardedRouter()

  r.get('/admin/users', allow.roles('ics_lead'), async (req, res) => {
    const icsId = leadIcsId(req.user!, req.query.ics)
    res.render('admin/users', { title: 'Users', users: await userAdmin.list(req.user!, icsId), roleLabels })
  })

  async function renderUser(req: Request, res: Response, errors: FormError[], values: Record<string, unknown> = {}, status = 200) {
    const user = req.user!
    const icsId = leadIcsId(user, req.query.ics)
    const subject = await userAdmin.get(user, icsId, idParam(req, 'id'))
    res.status(status).render('admin/user', {
      title: subject.name,
      subject,
      roleLabels,
      values,
      isSelf: subject.id === user.id,
      backLink: { href: '/admin/users', text: 'All users' },
      ...(await scopeChoices(places, user, icsId)),
      ...formErrorView(errors),
    })
  }

  r.get('/admin/users/:id', allow.roles('ics_lead'), (req, res) => renderUser(req, res, []))

  r.post('/admin/users/:id/memberships/:membershipId', allow.roles('ics_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const membershipId = idParam(req, 'membershipId')
    const values = { membershipId, role: body.role, placeId: body.placeId, organisationId: body.organisationId }
    const parsed = membershipForm.safeParse(body)
    if (!parsed.success) return renderUser(req, res, fromZod(parsed.error), values, 400)
    try {
      await userAdmin.changeMembership(
        req.user!,
        leadIcsId(req.user!, req.query.ics),
        idParam(req, 'id'),
        membershipId,
        parsed.data,
        req.ip,
      )
    } catch (error) {
      if (error instanceof UserAdminError) return renderUser(req, res, error.errors, values, 400)
      throw error
    }
    res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
  })

  r.post('/admin/users/:id/deactivate', allow.roles('ics_lead'), async (req, res) => {
    try {
      await userAdmin.deactivate(req.user!, leadIcsId(req.user!, req.query.ics), idParam(req, 'id'), req.ip)
    } catch (error) {
      if (error instanceof UserAdminError) return renderUser(req, res, error.errors, {}, 400)
      throw error
    }
    res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
  })

  r.post('/admin/users/:id/reactivate', allow.roles('ics_lead'), async (req, res) => {
    await userAdmin.reactivate(req.user!, leadIcsId(req.user!, req.query.ics), idParam(req, 'id'), req.ip)
    res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
  })

  return r.router
}
