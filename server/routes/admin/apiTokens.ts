import type { Request, Response } from 'express'
import { allow } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { ValidationError } from '../../errors'
import { formErrorView, fromZod, type FormError } from '../../forms/errors'
import { apiTokenForm } from '../../forms/exportForms'
import type { ApiTokenService } from '../../services/apiTokenService'
import { actorOf } from '../forms'
import { idParam } from '../params'
import { leadIcsId } from './scope'

/**
 * The ICS lead's API tokens: make one (its secret shown this once, on the page that answers the
 * form, never stored or sent anywhere else), see each one's last use, revoke one.
 */
export function apiTokenRoutes({ apiTokens }: { apiTokens: ApiTokenService }) {
  const r = guardedRouter()

  async function render(
    req: Request,
    res: Response,
    extra: { errors?: FormError[]; values?: Record<string, unknown>; created?: { name: string; secret: string } } = {},
    status = 200,
  ) {
    const icsId = leadIcsId(req.user!, req.query.ics ?? (req.body as Record<string, unknown> | undefined)?.ics)
    const tokens = await apiTokens.list(actorOf(req), icsId)
    // A page holding a secret must never be kept by a browser or a proxy.
    if (extra.created) res.setHeader('Cache-Control', 'no-store')
    res.status(status).render('admin/api-tokens', {
      title: extra.created ? 'API token created' : 'API tokens',
      icsId,
      tokens,
      created: extra.created,
      values: extra.values ?? {},
      ...formErrorView(extra.errors ?? []),
    })
  }

  r.get('/admin/api-tokens', allow.roles('ics_lead'), (req, res) => render(req, res))

  r.post('/admin/api-tokens', allow.roles('ics_lead'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const parsed = apiTokenForm.safeParse(body)
    if (!parsed.success) return render(req, res, { errors: fromZod(parsed.error), values: body }, 400)
    const icsId = leadIcsId(req.user!, body.ics)
    try {
      const { secret, token } = await apiTokens.create(actorOf(req), icsId, parsed.data.name)
      await render(req, res, { created: { name: token.name, secret } }, 201)
    } catch (error) {
      if (error instanceof ValidationError) return render(req, res, { errors: error.errors, values: body }, 400)
      throw error
    }
  })

  r.post('/admin/api-tokens/:id/revoke', allow.roles('ics_lead'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const icsId = leadIcsId(req.user!, body.ics)
    await apiTokens.revoke(actorOf(req), icsId, idParam(req, 'id'))
    res.redirect(303, `/admin/api-tokens?ics=${icsId}`)
  })

  return r.router
}
