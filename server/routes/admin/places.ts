import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { ValidationError } from '../../errors'
import { formErrorView, fromZod, type FormError } from '../../forms/errors'
import { organisationForm, placeForm, reasonForm } from '../../forms/places'
import { invitationForm } from '../../forms/people'
import { organisationKindLabel, organisationKindLabels, organisationKinds } from '../../organisations/kinds'
import type { InvitationService } from '../../services/invitationService'
import type { PlaceAdminService } from '../../services/placeAdminService'
import { actorOf } from '../forms'
import { idParam } from '../params'
import { currentIcsId, leadIcsId } from './scope'

const kindItems = organisationKinds.map((kind) => ({ value: kind, text: organisationKindLabels[kind] }))

const contactTags = {
  invited: { text: 'Invited', classes: 'nhsuk-tag--blue' },
  expired: { text: 'Invitation expired', classes: 'nhsuk-tag--orange' },
  accepted: { text: 'Accepted', classes: 'nhsuk-tag--white' },
  started: { text: 'Started', classes: 'nhsuk-tag--yellow' },
  submitted: { text: 'Submitted', classes: 'nhsuk-tag--green' },
  deactivated: { text: 'Deactivated', classes: 'nhsuk-tag--grey' },
} as const

async function attempt(change: () => Promise<unknown>): Promise<FormError[]> {
  try {
    await change()
    return []
  } catch (error) {
    if (error instanceof ValidationError) return error.errors
    throw error
  }
}

/**
 * Places and partner organisations: the list, adding, renaming, retiring and reinstating
 * (never deleting: what has answers keeps them), and each place's contacts board.
 */
export function placeAdminRoutes({ places, invitations }: { places: PlaceAdminService; invitations: InvitationService }) {
  const r = guardedRouter()
  const managers = allow.roles('ics_lead', 'place_lead')
  const lead = allow.roles('ics_lead')

  async function renderList(req: Request, res: Response, values: Record<string, unknown> = {}, errors: FormError[] = [], status = 200) {
    const user = req.user!
    const icsId = currentIcsId(user, req.query.ics)
    const list = await places.list(user, icsId)
    res.status(status).render('admin/places', {
      title: 'Places and partner organisations',
      icsId,
      isLead: user.memberships.some((m) => m.role === 'ics_lead' && m.icsId === icsId),
      places: list.filter((p) => !p.retiredAt),
      retired: list.filter((p) => p.retiredAt),
      values,
      ...formErrorView(errors),
    })
  }

  r.get('/admin/places', managers, (req, res) => renderList(req, res))

  r.post('/admin/places', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = placeForm.safeParse(body)
    if (!parsed.success) return renderList(req, res, body, fromZod(parsed.error), 400)
    let placeId = 0
    const errors = await attempt(async () => {
      placeId = await places.createPlace(actorOf(req), leadIcsId(req.user!, req.query.ics), parsed.data.name)
    })
    if (errors.length > 0) return renderList(req, res, body, errors, 400)
    res.redirect(303, `/admin/places/${placeId}`)
  })

  async function renderPlace(req: Request, res: Response, values: Record<string, unknown> = {}, errors: FormError[] = [], status = 200) {
    const view = await places.place(req.user!, idParam(req, 'placeId'))
    res.status(status).render('admin/place', {
      title: view.place.name,
      ...view,
      kindItems: [{ value: '', text: 'Choose a type' }, ...kindItems],
      kindLabel: organisationKindLabel,
      values: { placeName: view.place.name, ...values },
      backLink: { href: '/admin/places', text: 'Places and partner organisations' },
      ...formErrorView(errors),
    })
  }

  r.get('/admin/places/:placeId', managers, (req, res) => renderPlace(req, res))

  r.post('/admin/places/:placeId', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = placeForm.safeParse({ name: body.placeName })
    const values = { placeName: body.placeName }
    if (!parsed.success) return renderPlace(req, res, values, fromZod(parsed.error, { name: 'placeName' }), 400)
    const errors = await attempt(() => places.renamePlace(actorOf(req), idParam(req, 'placeId'), parsed.data.name))
    if (errors.length > 0)
      return renderPlace(
        req,
        res,
        values,
        errors.map((e) => ({ ...e, href: '#placeName' as const })),
        400,
      )
    res.redirect(303, `/admin/places/${idParam(req, 'placeId')}`)
  })

  for (const [action, retire] of [
    ['retire', true],
    ['reinstate', false],
  ] as const) {
    r.post(`/admin/places/:placeId/${action}`, lead, async (req, res) => {
      const body = req.body as Record<string, unknown>
      const parsed = reasonForm.safeParse(body)
      if (!parsed.success) return renderPlace(req, res, { placeReason: body.reason }, fromZod(parsed.error, { reason: 'placeReason' }), 400)
      await places.setPlaceRetired(actorOf(req), idParam(req, 'placeId'), retire, parsed.data.reason)
      res.redirect(303, `/admin/places/${idParam(req, 'placeId')}`)
    })
  }

  r.post('/admin/places/:placeId/organisations', managers, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = organisationForm.safeParse(body)
    if (!parsed.success) return renderPlace(req, res, body, fromZod(parsed.error), 400)
    const errors = await attempt(() => places.createOrganisation(actorOf(req), idParam(req, 'placeId'), parsed.data))
    if (errors.length > 0) return renderPlace(req, res, body, errors, 400)
    res.redirect(303, `/admin/places/${idParam(req, 'placeId')}?added=1`)
  })

  async function renderBoard(req: Request, res: Response, values: Record<string, unknown> = {}, errors: FormError[] = [], status = 200) {
    const roundId = typeof req.query.round === 'string' && /^\d+$/.test(req.query.round) ? Number(req.query.round) : undefined
    const view = await places.contactsBoard(req.user!, idParam(req, 'placeId'), roundId)
    res.status(status).render('admin/contacts', {
      title: `${view.place.name}: contacts`,
      ...view,
      contactTags,
      kindLabel: organisationKindLabel,
      organisationItems: [
        { value: '', text: 'Choose an organisation' },
        ...view.board.filter((b) => !b.organisation.retiredAt).map((b) => ({ value: b.organisation.id, text: b.organisation.name })),
      ],
      values,
      sent: req.query.sent === '1',
      backLink: { href: `/admin/places/${view.place.id}`, text: view.place.name },
      ...formErrorView(errors),
    })
  }

  r.get('/admin/places/:placeId/contacts', managers, (req, res) => renderBoard(req, res))

  r.post('/admin/places/:placeId/contacts', managers, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const values = { name: body.name, email: body.email, organisationId: body.organisationId }
    const parsed = invitationForm.safeParse({ ...values, role: 'partner', placeId: '' })
    if (!parsed.success) return renderBoard(req, res, values, fromZod(parsed.error), 400)
    const { place } = await places.place(req.user!, idParam(req, 'placeId'))
    const errors = await attempt(() => invitations.invite(actorOf(req), place.icsId, parsed.data))
    if (errors.length > 0) return renderBoard(req, res, values, errors, 400)
    res.redirect(303, `/admin/places/${place.id}/contacts?sent=1`)
  })

  async function renderOrganisation(
    req: Request,
    res: Response,
    values: Record<string, unknown> = {},
    errors: FormError[] = [],
    status = 200,
  ) {
    const view = await places.organisation(req.user!, idParam(req, 'organisationId'))
    res.status(status).render('admin/organisation', {
      title: view.organisation.name,
      ...view,
      kindItems,
      kindLabel: organisationKindLabel,
      values: { name: view.organisation.name, kind: view.organisation.kind, ...values },
      backLink: { href: `/admin/places/${view.place.id}`, text: view.place.name },
      ...formErrorView(errors),
    })
  }

  r.get('/admin/organisations/:organisationId', managers, (req, res) => renderOrganisation(req, res))

  r.post('/admin/organisations/:organisationId', managers, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = organisationForm.safeParse(body)
    if (!parsed.success) return renderOrganisation(req, res, body, fromZod(parsed.error), 400)
    const errors = await attempt(() => places.updateOrganisation(actorOf(req), idParam(req, 'organisationId'), parsed.data))
    if (errors.length > 0) return renderOrganisation(req, res, body, errors, 400)
    res.redirect(303, `/admin/organisations/${idParam(req, 'organisationId')}`)
  })

  for (const [action, retire] of [
    ['retire', true],
    ['reinstate', false],
  ] as const) {
    r.post(`/admin/organisations/:organisationId/${action}`, managers, async (req, res) => {
      const body = req.body as Record<string, unknown>
      const parsed = reasonForm.safeParse(body)
      if (!parsed.success) return renderOrganisation(req, res, { reason: body.reason }, fromZod(parsed.error), 400)
      await places.setOrganisationRetired(actorOf(req), idParam(req, 'organisationId'), retire, parsed.data.reason)
      res.redirect(303, `/admin/organisations/${idParam(req, 'organisationId')}`)
    })
  }

  return r.router
}
