import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { ValidationError } from '../../errors'
import { formErrorView } from '../../forms/errors'
import { parseForm } from '../../forms/parse'
import { organisationForm, placeForm, reasonForm } from '../../forms/places'
import { invitationForm } from '../../forms/people'
import { organisationKindLabel, organisationKindLabels, organisationKinds } from '../../organisations/kinds'
import type { InvitationService } from '../../services/invitationService'
import type { PlaceAdminService } from '../../services/placeAdminService'
import { actorOf, blankForm, handleForm, type FormState } from '../forms'
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

/** Runs a change whose problems belong to another field of the page (the place's name, say). */
async function onField<T>(href: `#${string}`, change: () => Promise<T>): Promise<T> {
  try {
    return await change()
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.errors.map((e) => ({ ...e, href })))
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

  async function renderList(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const user = req.user!
    const icsId = currentIcsId(user, req.query.ics)
    const list = await places.list(user, icsId)
    res.render('admin/places', {
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

  r.post(
    '/admin/places',
    lead,
    handleForm(renderList, async (req, res) => {
      const { name } = parseForm(placeForm, req.body)
      const placeId = await places.createPlace(actorOf(req), leadIcsId(req.user!, req.query.ics), name)
      res.redirect(303, `/admin/places/${placeId}`)
    }),
  )

  /** A place's page: its organisations, adding one, renaming and retiring the place. */
  async function renderPlace(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const view = await places.place(req.user!, idParam(req, 'placeId'))
    res.render('admin/place', {
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

  r.post(
    '/admin/places/:placeId',
    lead,
    handleForm(renderPlace, async (req, res) => {
      // The rename form's field is placeName: the page has the organisation form's name too.
      const { name } = parseForm(placeForm, { name: (req.body as Record<string, unknown>).placeName }, { name: 'placeName' })
      await onField('#placeName', () => places.renamePlace(actorOf(req), idParam(req, 'placeId'), name))
      res.redirect(303, `/admin/places/${idParam(req, 'placeId')}`)
    }),
  )

  for (const [action, retire] of [
    ['retire', true],
    ['reinstate', false],
  ] as const) {
    r.post(
      `/admin/places/:placeId/${action}`,
      lead,
      handleForm(
        // The reason box is placeReason on the page, beside the organisation form's fields.
        (req, res, form) => renderPlace(req, res, { errors: form.errors, values: { placeReason: form.values.reason } }),
        async (req, res) => {
          const { reason } = parseForm(reasonForm, req.body, { reason: 'placeReason' })
          await places.setPlaceRetired(actorOf(req), idParam(req, 'placeId'), retire, reason)
          res.redirect(303, `/admin/places/${idParam(req, 'placeId')}`)
        },
      ),
    )
  }

  r.post(
    '/admin/places/:placeId/organisations',
    managers,
    handleForm(renderPlace, async (req, res) => {
      await places.createOrganisation(actorOf(req), idParam(req, 'placeId'), parseForm(organisationForm, req.body))
      res.redirect(303, `/admin/places/${idParam(req, 'placeId')}?added=1`)
    }),
  )

  /** A place's contacts board, for the round chosen (the newest that has opened by default). */
  async function renderBoard(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const roundId = typeof req.query.round === 'string' && /^\d+$/.test(req.query.round) ? Number(req.query.round) : undefined
    const view = await places.contactsBoard(req.user!, idParam(req, 'placeId'), roundId)
    res.render('admin/contacts', {
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

  r.post(
    '/admin/places/:placeId/contacts',
    managers,
    handleForm(renderBoard, async (req, res) => {
      const body = req.body as Record<string, unknown>
      // A contact is always a partner respondent of one of the place's organisations.
      const invitation = parseForm(invitationForm, {
        name: body.name,
        email: body.email,
        organisationId: body.organisationId,
        role: 'partner',
        placeId: '',
      })
      const { place } = await places.place(req.user!, idParam(req, 'placeId'))
      await invitations.invite(actorOf(req), place.icsId, invitation)
      res.redirect(303, `/admin/places/${place.id}/contacts?sent=1`)
    }),
  )

  /** An organisation's page: changing it, its reminders, retiring and reinstating it. */
  async function renderOrganisation(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const view = await places.organisation(req.user!, idParam(req, 'organisationId'))
    res.render('admin/organisation', {
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

  r.post(
    '/admin/organisations/:organisationId',
    managers,
    handleForm(renderOrganisation, async (req, res) => {
      await places.updateOrganisation(actorOf(req), idParam(req, 'organisationId'), parseForm(organisationForm, req.body))
      res.redirect(303, `/admin/organisations/${idParam(req, 'organisationId')}`)
    }),
  )

  for (const [action, retire] of [
    ['retire', true],
    ['reinstate', false],
  ] as const) {
    r.post(
      `/admin/organisations/:organisationId/${action}`,
      managers,
      handleForm(
        // Only the reason is kept: the change form above shows the organisation as it is.
        (req, res, form) => renderOrganisation(req, res, { errors: form.errors, values: { reason: form.values.reason } }),
        async (req, res) => {
          const { reason } = parseForm(reasonForm, req.body)
          await places.setOrganisationRetired(actorOf(req), idParam(req, 'organisationId'), retire, reason)
          res.redirect(303, `/admin/organisations/${idParam(req, 'organisationId')}`)
        },
      ),
    )
  }

  return r.router
}
