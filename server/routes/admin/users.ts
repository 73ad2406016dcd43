import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { roleLabels } from '../../auth/types'
import { formErrorView } from '../../forms/errors'
import { parseForm } from '../../forms/parse'
import { membershipForm } from '../../forms/people'
import type { UserAdminService } from '../../services/userAdminService'
import { actorOf, blankForm, handleForm, type FormState } from '../forms'
import { idParam } from '../params'
import { BoundedCache } from '../../boundedCache'
import { keptRows } from '../../views/fragments'
import { pageNumber, pageSize, pagination } from './pagination'
import { leadIcsId, scopeItems } from './scope'

/** The ICS lead's users: the list, one person's roles, deactivating and reactivating. */
export function userRoutes({ userAdmin }: { userAdmin: UserAdminService }) {
  const r = guardedRouter()
  // Each person's row as rendered, kept by what it shows (name, roles, last sign-in, status).
  const rows = new BoundedCache<string, string>(2000)

  r.get('/admin/users', allow.roles('ics_lead'), async (req, res) => {
    const icsId = leadIcsId(req.user!, req.query.ics)
    const page = pageNumber(req.query.page)
    const { users, total } = await userAdmin.list(req.user!, icsId, page, pageSize)
    res.render('admin/users', {
      title: 'Users',
      rows: await keptRows(req.app, rows, users, {
        view: 'admin/_user-row',
        as: 'u',
        key: (u) => [
          u.id,
          u.name,
          u.email,
          u.isActive,
          u.lastSignInAt,
          ...u.memberships.flatMap((m) => [m.role, m.organisationName, m.placeName]),
        ],
        locals: { roleLabels },
      }),
      ...pagination(page, total, `/admin/users?ics=${icsId}&`),
    })
  })

  async function renderUser(req: Request, res: Response, { errors, values }: FormState) {
    const user = req.user!
    const icsId = leadIcsId(user, req.query.ics)
    const subject = await userAdmin.get(user, icsId, idParam(req, 'id'))
    res.render('admin/user', {
      title: subject.name,
      subject,
      roleLabels,
      values,
      isSelf: subject.id === user.id,
      backLink: { href: '/admin/users', text: 'All users' },
      ...scopeItems(await userAdmin.grantableScopes(user, icsId)),
      ...formErrorView(errors),
    })
  }

  r.get('/admin/users/:id', allow.roles('ics_lead'), (req, res) => renderUser(req, res, blankForm))

  r.post(
    '/admin/users/:id/memberships/:membershipId',
    allow.roles('ics_lead'),
    // The page lists every role; the one being changed shows what was typed.
    handleForm(
      (req, res, form) => renderUser(req, res, { ...form, values: { ...form.values, membershipId: idParam(req, 'membershipId') } }),
      async (req, res) => {
        const input = parseForm(membershipForm, req.body)
        await userAdmin.changeMembership(
          actorOf(req),
          leadIcsId(req.user!, req.query.ics),
          idParam(req, 'id'),
          idParam(req, 'membershipId'),
          input,
        )
        res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
      },
    ),
  )

  // Deactivating posts nothing to show again: a refusal shows the person with its reason.
  const showUser = (req: Request, res: Response, { errors }: FormState) => renderUser(req, res, { errors, values: {} })

  r.post(
    '/admin/users/:id/deactivate',
    allow.roles('ics_lead'),
    handleForm(showUser, async (req, res) => {
      await userAdmin.deactivate(actorOf(req), leadIcsId(req.user!, req.query.ics), idParam(req, 'id'))
      res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
    }),
  )

  r.post('/admin/users/:id/reactivate', allow.roles('ics_lead'), async (req, res) => {
    await userAdmin.reactivate(actorOf(req), leadIcsId(req.user!, req.query.ics), idParam(req, 'id'))
    res.redirect(303, `/admin/users/${idParam(req, 'id')}`)
  })

  return r.router
}
