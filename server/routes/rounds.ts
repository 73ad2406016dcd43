import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { formErrorView } from '../forms/errors'
import { parseForm } from '../forms/parse'
import { extendRoundFieldIds, extendRoundForm, reopenResponseForm } from '../forms/rounds'
import type { RoundService } from '../services/roundService'
import { actorOf, blankForm, handleForm, type FormState } from './forms'
import { idParam } from './params'
import { statusTags } from './statusTags'

/** The ICS lead's rounds: the list, one round's responses, extending its deadline, reopening a response. */
export function roundRoutes(rounds: RoundService) {
  const r = guardedRouter()

  async function renderRound(req: Request, res: Response, { errors, values }: FormState) {
    const view = await rounds.forLead(req.user!, idParam(req, 'roundId'))
    res.render('assessment/round', { title: view.round.title, ...view, values, statusTags, ...formErrorView(errors) })
  }

  r.get('/rounds', allow.roles('ics_lead'), async (req, res) => {
    res.render('assessment/rounds', { title: 'Assessment rounds', rounds: await rounds.list(req.user!) })
  })

  r.get('/rounds/:roundId/manage', allow.roles('ics_lead'), (req, res) => renderRound(req, res, blankForm))

  r.post(
    '/rounds/:roundId/extend',
    allow.roles('ics_lead'),
    handleForm(renderRound, async (req, res) => {
      const input = parseForm(extendRoundForm, req.body, extendRoundFieldIds)
      await rounds.extend(actorOf(req), idParam(req, 'roundId'), input)
      res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
    }),
  )

  r.post(
    '/rounds/:roundId/organisations/:organisationId/reopen',
    allow.roles('ics_lead'),
    handleForm(
      (req, res, form) =>
        renderRound(req, res, { ...form, values: { ...form.values, reopenOrganisationId: idParam(req, 'organisationId') } }),
      async (req, res) => {
        const input = parseForm(reopenResponseForm, req.body, { reason: `reason-${idParam(req, 'organisationId')}` })
        await rounds.reopenResponse(actorOf(req), idParam(req, 'roundId'), idParam(req, 'organisationId'), input)
        res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
      },
    ),
  )

  return r.router
}
