import type { Request, Response } from 'express'
import { allow, isIcsLead } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { formErrorView } from '../../forms/errors'
import { parseForm } from '../../forms/parse'
import { invitationForm } from '../../forms/people'
import type { InvitationService } from '../../services/invitationService'
import { actorOf, handleForm, type FormState } from '../forms'
import { idParam } from '../params'
import { pageNumber, pageSize, pagination } from './pagination'
import { BoundedCache } from '../../boundedCache'
import { formTokenMarker, keptFragment, keptRows, renderPartial, withFormToken } from '../../views/fragments'
import { currentIcsId, roleItems, scopeItems } from './scope'

/** Inviting people, and resending or revoking invitations (ICS leads, and place leads for their partners). */
export function invitationRoutes({ invitations }: { invitations: InvitationService }) {
  const r = guardedRouter()
  // The place and organisation lists, rendered once per version of the ICS's places and organisations and per choice.
  const selects = new BoundedCache<string, string>(200)
  // Each invitation's row as rendered, kept by what it shows (its status included), with a marker for the form token.
  const rows = new BoundedCache<string, string>(2000)
  // The form's name, address and role as rendered for a blank form, by the roles one may grant and the role chosen.
  const blankFields = new BoundedCache<string, string>(20)

  /** The form's place and organisation lists, read and rendered only when the held ones are out of date. */
  async function scopeSelects(req: Request, icsId: number, { errors, values }: FormState) {
    const { fieldErrors } = formErrorView(errors)
    const fields = {
      placeId: {
        id: 'placeId',
        label: 'Place (for a place lead, or a viewer of one place)',
        value: values.placeId,
        error: fieldErrors.placeId,
      },
      organisationId: {
        id: 'organisationId',
        label: 'Partner organisation (for a partner respondent)',
        value: values.organisationId,
        error: fieldErrors.organisationId,
      },
    }
    // Only what a person picks is kept (an option's value), not whatever a form post holds.
    const usual = [fields.placeId.value, fields.organisationId.value].every(
      (v) => v === undefined || (typeof v === 'string' && v.length <= 40),
    )
    const render = async () => {
      const items = scopeItems(await invitations.grantableScopes(req.user!, icsId))
      const place = await renderPartial(req.app, 'partials/fields/select', { field: { ...fields.placeId, items: items.placeItems } })
      const organisation = await renderPartial(req.app, 'partials/fields/select', {
        field: { ...fields.organisationId, items: items.organisationItems },
      })
      return place + organisation
    }
    if (!usual) return render()
    return keptFragment(req.app, selects, JSON.stringify([await invitations.grantableScopesVersion(req.user!, icsId), fields]), render)
  }

  async function renderInvitations(req: Request, res: Response, { errors, values }: FormState) {
    const user = req.user!
    const icsId = currentIcsId(user, req.query.ics)
    const page = pageNumber(req.query.page)
    const { invitations: list, total } = await invitations.list(user, icsId, page, pageSize)
    const roles = roleItems(invitations.grantableRoles(user, icsId))
    const { fieldErrors } = formErrorView(errors)
    const renderFields = () => renderPartial(req.app, 'admin/_invitation-fields', { values, fieldErrors, roleItems: roles })
    // Only a blank form is kept: what someone typed is shown back once, not held.
    const blank = errors.length === 0 && Object.keys(values).every((name) => name === 'role') && typeof (values.role ?? '') === 'string'
    const fields = blank
      ? await keptFragment(req.app, blankFields, JSON.stringify([roles, values.role ?? null]), renderFields)
      : await renderFields()
    res.render('admin/invitations', {
      title: 'Invitations',
      icsId,
      isLead: isIcsLead(user, icsId),
      invitations: list,
      rows: withFormToken(
        await keptRows(req.app, rows, list, {
          view: 'admin/_invitation-row',
          as: 'inv',
          key: (inv) => [inv.id, inv.status, inv.lastSentAt, inv.name, inv.email, inv.roleLabel, inv.scope],
          locals: { csrfToken: formTokenMarker },
        }),
        res,
      ),
      ...pagination(page, total, `/admin/invitations?ics=${icsId}&`),
      values,
      sent: req.query.sent === '1',
      fields,
      scopeSelects: await scopeSelects(req, icsId, { errors, values }),
      ...formErrorView(errors),
    })
  }

  r.get('/admin/invitations', allow.roles('ics_lead', 'place_lead'), (req, res) =>
    renderInvitations(req, res, {
      errors: [],
      values: { role: isIcsLead(req.user!, currentIcsId(req.user!, req.query.ics)) ? '' : 'partner' },
    }),
  )

  r.post(
    '/admin/invitations',
    allow.roles('ics_lead', 'place_lead'),
    handleForm(renderInvitations, async (req, res) => {
      const input = parseForm(invitationForm, req.body)
      const icsId = currentIcsId(req.user!, req.query.ics)
      await invitations.invite(actorOf(req), icsId, input)
      res.redirect(303, `/admin/invitations?sent=1&ics=${icsId}`)
    }),
  )

  // The list's buttons post nothing to show again, so a refusal shows the list with its reason.
  const showList = (req: Request, res: Response, { errors }: FormState) => renderInvitations(req, res, { errors, values: {} })

  r.post(
    '/admin/invitations/:id/resend',
    allow.roles('ics_lead', 'place_lead'),
    handleForm(showList, async (req, res) => {
      await invitations.resend(actorOf(req), idParam(req, 'id'))
      res.redirect(303, backTo(req))
    }),
  )

  r.post(
    '/admin/invitations/:id/revoke',
    allow.roles('ics_lead', 'place_lead'),
    handleForm(showList, async (req, res) => {
      await invitations.revoke(actorOf(req), idParam(req, 'id'))
      res.redirect(303, backTo(req))
    }),
  )

  return r.router
}

/** Where the button was: a place's contacts page sends its own address back; anything else is the invitations page. */
function backTo(req: Request): string {
  const back = (req.body as Record<string, unknown>).back
  return typeof back === 'string' && /^\/admin\/places\/\d+\/contacts$/.test(back) ? back : '/admin/invitations'
}
