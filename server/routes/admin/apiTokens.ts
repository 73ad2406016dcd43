import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { formErrorView } from '../../forms/errors'
import { apiTokenForm } from '../../forms/exportForms'
import { parseForm } from '../../forms/parse'
import type { ApiTokenService } from '../../services/apiTokenService'
import { actorOf, blankForm, handleForm, type FormState } from '../forms'
import { idParam } from '../params'
import { leadIcsId } from './scope'

/**
 * The ICS lead's API tokens: make one (its secret shown this once, on the page that answers the
 * form, never stored or sent anywhere else), see each one's last use, revoke one.
 */
export function apiTokenRoutes({ apiTokens }: { apiTokens: ApiTokenService }) {
  const r = guardedRouter()

  async function render(req: Request, res: Response, { errors, values }: FormState, created?: { name: string; secret: string }) {
    const icsId = leadIcsId(req.user!, req.query.ics ?? (req.body as Record<string, unknown> | undefined)?.ics)
    const tokens = await apiTokens.list(actorOf(req), icsId)
    // A page holding a secret must never be kept by a browser or a proxy.
    if (created) res.setHeader('Cache-Control', 'no-store')
    res.render('admin/api-tokens', {
      title: created ? 'API token created' : 'API tokens',
      icsId,
      tokens,
      created,
      values,
      ...formErrorView(errors),
    })
  }

  r.get('/admin/api-tokens', allow.roles('ics_lead'), (req, res) => render(req, res, blankForm))

  r.post(
    '/admin/api-tokens',
    allow.roles('ics_lead'),
    handleForm(render, async (req, res) => {
      const { name } = parseForm(apiTokenForm, req.body)
      const icsId = leadIcsId(req.user!, (req.body as Record<string, unknown>).ics)
      const { secret, token } = await apiTokens.create(actorOf(req), icsId, name)
      res.status(201)
      await render(req, res, blankForm, { name: token.name, secret })
    }),
  )

  r.post('/admin/api-tokens/:id/revoke', allow.roles('ics_lead'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const icsId = leadIcsId(req.user!, body.ics)
    await apiTokens.revoke(actorOf(req), icsId, idParam(req, 'id'))
    res.redirect(303, `/admin/api-tokens?ics=${icsId}`)
  })

  return r.router
}
