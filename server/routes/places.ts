import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { formErrorView, type FormError } from '../forms/errors'
import { NotFoundError } from '../errors'
import { idParam } from './params'
import type { DashboardService } from '../services/dashboardService'
import { actionStatuses, PlaceReturnError, type PlaceReturnService } from '../services/placeReturnService'
import type { ReportService } from '../services/reportService'

function field(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  return typeof value === 'string' ? value : ''
}

const sourceLabels = {
  moderation: 'ICS moderation',
  place: 'Place agreed',
  partners: 'Partners’ median (rounded down)',
  none: 'No level yet',
}

/** The place lead's review and return, the ICS lead's assurance and decision, the place page and its plan. */
export function placeRoutes(placeReturns: PlaceReturnService, dashboards: DashboardService, reports: ReportService) {
  const r = guardedRouter()
  const readers = allow.roles('ics_lead', 'place_lead', 'viewer')
  const roundPlace = '/rounds/:roundId/places/:placeId'
  const levelName = (framework: { levels: Array<{ value: number; name: string }> }) => (value: number | null) =>
    value === null ? 'No level' : `${value} – ${framework.levels.find((l) => l.value === value)?.name ?? value}`

  async function renderRoundPlace(
    req: Request,
    res: Response,
    errors: FormError[] = [],
    values: Record<string, unknown> = {},
    status = 200,
  ) {
    const view = await placeReturns.view(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    res.status(status).render('places/round-place', {
      title: `${view.place.name}: ${view.round.title}`,
      view,
      base: `/rounds/${view.round.id}/places/${view.place.id}`,
      levelName: levelName(view.framework),
      sourceLabels,
      values,
      backLink: { href: `/places/${view.place.id}`, text: `${view.place.name} overview` },
      ...formErrorView(errors),
    })
  }

  async function handle(
    req: Request,
    res: Response,
    action: () => Promise<void>,
    onError: (errors: FormError[]) => Promise<void>,
    redirectTo: string,
  ) {
    try {
      await action()
    } catch (error) {
      if (error instanceof PlaceReturnError) return onError(error.errors)
      throw error
    }
    res.redirect(303, redirectTo)
  }

  r.get(roundPlace, readers, (req, res) => renderRoundPlace(req, res))

  async function renderCriterion(
    req: Request,
    res: Response,
    errors: FormError[] = [],
    values: Record<string, unknown> = {},
    status = 200,
  ) {
    const view = await placeReturns.view(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    const code = String(req.params.code)
    const index = view.criteria.findIndex((c) => c.criterion.code === code)
    if (index < 0) throw new NotFoundError()
    const current = view.criteria[index]!
    const answers = view.canReadPartnerAnswers
      ? await placeReturns.partnerAnswers(req.user!, view.round.id, view.place.id, code)
      : undefined
    const base = `/rounds/${view.round.id}/places/${view.place.id}`
    res.status(status).render('places/criterion', {
      title: `${code} ${current.criterion.title}`,
      view,
      current,
      answers,
      base,
      previous: view.criteria[index - 1]?.criterion,
      next: view.criteria[index + 1]?.criterion,
      levelName: levelName(view.framework),
      sourceLabels,
      values: {
        level: current.position ? (current.position.notSure ? 'not-sure' : String(current.position.level)) : '',
        rationale: current.position?.rationale ?? '',
        evidenceSummary: current.position?.evidenceSummary ?? '',
        moderationLevel: current.moderation ? String(current.moderation.level) : '',
        moderationComment: current.moderation?.comment ?? '',
        ...values,
      },
      backLink: { href: base, text: `${view.place.name} return` },
      ...formErrorView(errors),
    })
  }

  r.get(`${roundPlace}/criteria/:code`, readers, (req, res) => renderCriterion(req, res))

  r.post(`${roundPlace}/criteria/:code/position`, allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const input = { level: field(body, 'level'), rationale: field(body, 'rationale'), evidenceSummary: field(body, 'evidenceSummary') }
    const base = `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}`
    await handle(
      req,
      res,
      () => placeReturns.agree(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'), String(req.params.code), input, req.ip),
      (errors) => renderCriterion(req, res, errors, input, 400),
      body.next ? `${base}/criteria/${String(body.next)}` : `${base}#criterion-${String(req.params.code)}`,
    )
  })

  r.post(`${roundPlace}/criteria/:code/moderation`, allow.roles('ics_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const input = { level: field(body, 'moderationLevel'), comment: field(body, 'moderationComment') }
    await handle(
      req,
      res,
      () => placeReturns.moderate(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'), String(req.params.code), input, req.ip),
      (errors) => renderCriterion(req, res, errors, { moderationLevel: input.level, moderationComment: input.comment }, 400),
      `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}#criterion-${String(req.params.code)}`,
    )
  })

  r.post(`${roundPlace}/return/submit`, allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    await handle(
      req,
      res,
      () => placeReturns.submitReturn(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'), req.ip),
      (errors) => renderRoundPlace(req, res, errors, {}, 400),
      `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}`,
    )
  })

  r.post(`${roundPlace}/return/reopen`, allow.roles('ics_lead'), async (req, res) => {
    const reason = field(req.body as Record<string, unknown>, 'reason')
    await handle(
      req,
      res,
      () => placeReturns.reopenReturn(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'), reason, req.ip),
      (errors) => renderRoundPlace(req, res, errors, { reason }, 400),
      `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}`,
    )
  })

  r.post(`${roundPlace}/decision`, allow.roles('ics_lead'), async (req, res) => {
    const body = req.body as Record<string, unknown>
    const [day, month, year] = ['decidedOn-day', 'decidedOn-month', 'decidedOn-year'].map((name) => field(body, name).trim())
    const input = {
      level: field(body, 'decisionLevel'),
      rationale: field(body, 'decisionRationale'),
      decidedOn: `${year!.padStart(4, '0')}-${month!.padStart(2, '0')}-${day!.padStart(2, '0')}`,
      decidingBody: field(body, 'decidingBody'),
      differenceReason: field(body, 'differenceReason'),
    }
    await handle(
      req,
      res,
      () => placeReturns.decide(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'), input, req.ip),
      (errors) => renderRoundPlace(req, res, errors, body, 400),
      `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}#decision`,
    )
  })

  r.get('/places', readers, async (req, res) => {
    const places = await dashboards.placesOverview(req.user!)
    res.render('places/index', { title: 'Places', places, multipleIcs: new Set(places.map((p) => p.icsName)).size > 1 })
  })

  async function renderPlace(req: Request, res: Response, errors: FormError[] = [], values: Record<string, unknown> = {}, status = 200) {
    const page = await placeReturns.placePage(req.user!, idParam(req, 'placeId'))
    res.status(status).render('places/place', {
      title: page.place.name,
      page,
      placeReports: await reports.placeReports(req.user!, page.place),
      levelName: page.latest ? levelName(page.latest.framework) : () => '',
      sourceLabels,
      actionStatuses,
      values: { status: 'not_started', ...values },
      ...formErrorView(errors),
    })
  }

  r.get('/places/:placeId', readers, (req, res) => renderPlace(req, res))

  const actionInput = (body: Record<string, unknown>) => ({
    criterionCode: field(body, 'criterionCode'),
    description: field(body, 'description'),
    ownerOrganisationId: field(body, 'ownerOrganisationId'),
    dueDate: field(body, 'dueDate'),
    status: field(body, 'status'),
  })

  /** A date field can only show a real date; anything else comes back blank, with its error. */
  const shownAgain = (input: ReturnType<typeof actionInput>) => ({
    ...input,
    dueDate: /^\d{4}-\d{2}-\d{2}$/.test(input.dueDate) ? input.dueDate : '',
  })

  r.post('/places/:placeId/actions', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    const input = actionInput(req.body as Record<string, unknown>)
    await handle(
      req,
      res,
      () => placeReturns.saveAction(req.user!, idParam(req, 'placeId'), null, input, req.ip),
      (errors) => renderPlace(req, res, errors, shownAgain(input), 400),
      `/places/${idParam(req, 'placeId')}#plan`,
    )
  })

  async function renderAction(req: Request, res: Response, errors: FormError[] = [], values?: Record<string, unknown>, status = 200) {
    const page = await placeReturns.placePage(req.user!, idParam(req, 'placeId'))
    const action = page.actions.find((a) => a.id === idParam(req, 'actionId'))
    if (!action || !page.canEditPlan) throw new NotFoundError()
    res.status(status).render('places/action', {
      title: 'Change a development action',
      page,
      action,
      actionStatuses,
      values: values ?? {
        criterionCode: action.criterionCode,
        description: action.description,
        ownerOrganisationId: action.ownerOrganisationId === null ? '' : String(action.ownerOrganisationId),
        dueDate: action.dueDate,
        status: action.status,
      },
      backLink: { href: `/places/${page.place.id}#plan`, text: 'Development plan' },
      ...formErrorView(errors),
    })
  }

  r.get('/places/:placeId/actions/:actionId', allow.roles('ics_lead', 'place_lead'), (req, res) => renderAction(req, res))

  r.post('/places/:placeId/actions/:actionId', allow.roles('ics_lead', 'place_lead'), async (req, res) => {
    const input = actionInput(req.body as Record<string, unknown>)
    await handle(
      req,
      res,
      () => placeReturns.saveAction(req.user!, idParam(req, 'placeId'), idParam(req, 'actionId'), input, req.ip),
      (errors) => renderAction(req, res, errors, shownAgain(input), 400),
      `/places/${idParam(req, 'placeId')}#plan`,
    )
  })

  return r.router
}
