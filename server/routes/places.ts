import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { formErrorView } from '../forms/errors'
import { parseForm } from '../forms/parse'
import {
  actionFieldIds,
  actionForm,
  decisionFieldIds,
  decisionForm,
  moderationFieldIds,
  moderationForm,
  positionForm,
  reopenReturnFieldIds,
  reopenReturnForm,
} from '../forms/placeReturn'
import { levelLabel } from '../framework/levels'
import { NotFoundError } from '../errors'
import { actorOf, blankForm, handleForm, type FormState } from './forms'
import { idParam } from './params'
import { keptFragment, renderPartial } from '../views/fragments'
import { BoundedCache } from '../boundedCache'
import { parseIsoDate } from '../time/london'
import { actionStatuses, type PlaceReturnService } from '../services/placeReturnService'
import type { DashboardService } from '../services/dashboardService'
import type { ReportService } from '../services/reportService'

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
  // The place pages write every level with its number: "3 – Maturing".
  const levelName = (framework: { levels: Array<{ value: number; name: string }> }) => (value: number | null) =>
    levelLabel(framework, value, 'No level')

  async function renderRoundPlace(req: Request, res: Response, { errors, values }: FormState) {
    const view = await placeReturns.view(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    const base = `/rounds/${view.round.id}/places/${view.place.id}`
    res.render('places/round-place', {
      title: `${view.place.name}: ${view.round.title}`,
      view,
      base,
      levelName: levelName(view.framework),
      sourceLabels,
      criteriaTable: await keptFragment(res.app, criteriaTables, view.criteria, () =>
        renderPartial(res.app, 'places/_criteria-review', {
          view,
          base,
          levelName: levelName(view.framework),
          sourceLabels,
        }),
      ),
      values,
      backLink: { href: `/places/${view.place.id}`, text: `${view.place.name} overview` },
      ...formErrorView(errors),
    })
  }

  r.get(roundPlace, readers, (req, res) => renderRoundPlace(req, res, blankForm))

  async function renderCriterion(req: Request, res: Response, { errors, values }: FormState) {
    const view = await placeReturns.view(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    const code = String(req.params.code)
    const index = view.criteria.findIndex((c) => c.criterion.code === code)
    if (index < 0) throw new NotFoundError()
    const current = view.criteria[index]!
    const answers = view.canReadPartnerAnswers
      ? await placeReturns.partnerAnswers(req.user!, view.round.id, view.place.id, code)
      : undefined
    const base = `/rounds/${view.round.id}/places/${view.place.id}`
    res.render('places/criterion', {
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

  r.get(`${roundPlace}/criteria/:code`, readers, (req, res) => renderCriterion(req, res, blankForm))

  const roundPlaceOf = (req: Request) => `/rounds/${idParam(req, 'roundId')}/places/${idParam(req, 'placeId')}`

  r.post(
    `${roundPlace}/criteria/:code/position`,
    allow.roles('ics_lead', 'place_lead'),
    handleForm(renderCriterion, async (req, res) => {
      const code = String(req.params.code)
      const roundId = idParam(req, 'roundId')
      const [levels, codes] = await Promise.all([placeReturns.levelCount(roundId), placeReturns.criterionCodes(roundId)])
      const { next, ...position } = parseForm(positionForm(levels, code, codes), req.body)
      await placeReturns.agree(actorOf(req), roundId, idParam(req, 'placeId'), code, position)
      res.redirect(303, next ? `${roundPlaceOf(req)}/criteria/${next}` : `${roundPlaceOf(req)}#criterion-${code}`)
    }),
  )

  r.post(
    `${roundPlace}/criteria/:code/moderation`,
    allow.roles('ics_lead'),
    handleForm(renderCriterion, async (req, res) => {
      const levels = await placeReturns.levelCount(idParam(req, 'roundId'))
      const moderation = parseForm(moderationForm(levels), req.body, moderationFieldIds)
      await placeReturns.moderate(actorOf(req), idParam(req, 'roundId'), idParam(req, 'placeId'), String(req.params.code), moderation)
      res.redirect(303, `${roundPlaceOf(req)}#criterion-${String(req.params.code)}`)
    }),
  )

  r.post(
    `${roundPlace}/return/submit`,
    allow.roles('ics_lead', 'place_lead'),
    handleForm(renderRoundPlace, async (req, res) => {
      await placeReturns.submitReturn(actorOf(req), idParam(req, 'roundId'), idParam(req, 'placeId'))
      res.redirect(303, roundPlaceOf(req))
    }),
  )

  r.post(
    `${roundPlace}/return/reopen`,
    allow.roles('ics_lead'),
    handleForm(renderRoundPlace, async (req, res) => {
      const input = parseForm(reopenReturnForm, req.body, reopenReturnFieldIds)
      await placeReturns.reopenReturn(actorOf(req), idParam(req, 'roundId'), idParam(req, 'placeId'), input)
      res.redirect(303, roundPlaceOf(req))
    }),
  )

  r.post(
    `${roundPlace}/decision`,
    allow.roles('ics_lead'),
    handleForm(renderRoundPlace, async (req, res) => {
      const decision = parseForm(decisionForm, req.body, decisionFieldIds)
      await placeReturns.decide(actorOf(req), idParam(req, 'roundId'), idParam(req, 'placeId'), decision)
      res.redirect(303, `${roundPlaceOf(req)}#decision`)
    }),
  )

  r.get('/places', readers, async (req, res) => {
    const places = await dashboards.placesOverview(req.user!)
    res.render('places/index', { title: 'Places', places, multipleIcs: new Set(places.map((p) => p.icsName)).size > 1 })
  })

  async function renderPlace(req: Request, res: Response, { errors, values }: FormState) {
    const page = await placeReturns.placePage(req.user!, idParam(req, 'placeId'))
    const latest = page.latest
    res.render('places/place', {
      title: page.place.name,
      page,
      placeReports: reports.placeReportsOf(
        req.user!,
        page.place,
        page.allRounds.map((r) => ({ roundId: r.id, title: r.title, published: r.published })),
      ),
      levelName: latest ? levelName(latest.framework) : () => '',
      levelsTable:
        latest &&
        (await keptFragment(res.app, levelsTables(latest.criteria), page.previous?.criteria ?? noPrevious, () =>
          renderPartial(res.app, 'places/_levels-trend', {
            latest,
            page,
            levelName: levelName(latest.framework),
            sourceLabels,
          }),
        )),
      sourceLabels,
      actionStatuses,
      addActionFields:
        page.canEditPlan && latest && errors.length === 0 && Object.keys(values).length === 0
          ? await blankActionFields(res, page)
          : undefined,
      values: { status: 'not_started', ...shownAgain(values) },
      ...formErrorView(errors),
    })
  }

  r.get('/places/:placeId', readers, (req, res) => renderPlace(req, res, blankForm))

  r.post(
    '/places/:placeId/actions',
    allow.roles('ics_lead', 'place_lead'),
    handleForm(renderPlace, async (req, res) => {
      const action = parseForm(actionForm, req.body, actionFieldIds)
      await placeReturns.saveAction(actorOf(req), idParam(req, 'placeId'), null, action)
      res.redirect(303, `/places/${idParam(req, 'placeId')}#plan`)
    }),
  )

  async function renderAction(req: Request, res: Response, { errors, values }: FormState) {
    const page = await placeReturns.placePage(req.user!, idParam(req, 'placeId'))
    const action = page.actions.find((a) => a.id === idParam(req, 'actionId'))
    if (!action || !page.canEditPlan) throw new NotFoundError()
    res.render('places/action', {
      title: 'Change a development action',
      page,
      action,
      actionStatuses,
      values: errors.length
        ? shownAgain(values)
        : {
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

  r.get('/places/:placeId/actions/:actionId', allow.roles('ics_lead', 'place_lead'), (req, res) => renderAction(req, res, blankForm))

  r.post(
    '/places/:placeId/actions/:actionId',
    allow.roles('ics_lead', 'place_lead'),
    handleForm(renderAction, async (req, res) => {
      const action = parseForm(actionForm, req.body, actionFieldIds)
      await placeReturns.saveAction(actorOf(req), idParam(req, 'placeId'), idParam(req, 'actionId'), action)
      res.redirect(303, `/places/${idParam(req, 'placeId')}#plan`)
    }),
  )

  return r.router
}

/**
 * A place's criteria table in a round shows only the round's results, which the dashboards keep
 * (the very same objects) while the database says nothing changed; so it is rendered once per
 * results rather than on every request, and rendered afresh as soon as they are read again.
 */
const criteriaTables = new WeakMap<object, string>()

/** The place page's levels table: likewise, once per latest round's results and previous round's. */
const levelsTablesByLatest = new WeakMap<object, WeakMap<object, string>>()
const noPrevious = {}
function levelsTables(latest: object): WeakMap<object, string> {
  let tables = levelsTablesByLatest.get(latest)
  if (!tables) levelsTablesByLatest.set(latest, (tables = new WeakMap()))
  return tables
}

/**
 * The place page's blank "add an action" form shows only the criteria (with whether each meets its
 * threshold) and the place's organisations: it is kept under exactly those, rather than rendering
 * its lists and radios on every visit. A form shown again with what someone typed is never kept.
 */
const blankActionForms = new BoundedCache<string, string>(500)
type PlacePage = Awaited<ReturnType<PlaceReturnService['placePage']>>

function blankActionFields(res: Response, page: PlacePage): Promise<string> {
  const latest = page.latest!
  const unmet = new Set(latest.readiness.unmet)
  let key = ''
  for (const c of latest.criteria) key += `${c.criterion.code}\u0000${c.criterion.title}\u0000${unmet.has(c.criterion.code)}\u0000`
  key += '\u0001'
  for (const o of page.organisations) key += `${o.id}\u0000${o.name}\u0000`
  return keptFragment(res.app, blankActionForms, key, () =>
    renderPartial(res.app, 'places/_action-fields', { page, values: { status: 'not_started' }, actionStatuses }),
  )
}

/** A date field can only show a real date; anything else comes back blank, with its error. */
function shownAgain(values: Record<string, unknown>): Record<string, unknown> {
  return 'dueDate' in values ? { ...values, dueDate: parseIsoDate(values.dueDate) ? values.dueDate : '' } : values
}
