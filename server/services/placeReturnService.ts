import type { Database } from '../db/connection'
import { canManagePlace, canReadPlacePartnerAnswers, canViewPlace, isIcsLead } from '../auth/access'
import type { CurrentUser } from '../auth/types'
import { PlaceData, type OrganisationRecord, type PlaceRecord } from '../data/places'
import { PlaceReturnData, type ActionStatus, type PartnerAnswerRow } from '../data/placeReturns'
import { RoundData, type RoundRecord } from '../data/rounds'
import type { FormError } from '../forms/errors'
import type { FrameworkDocument } from '../framework/types'
import { NotFoundError } from '../errors'
import { ResultsReadModel, type CriterionResults, type PlaceResults, type RoundInfo, type RoundResults } from '../results'
import type { AuditService } from './auditService'

export class PlaceReturnError extends Error {
  constructor(readonly errors: FormError[]) {
    super(errors.map((e) => e.text).join('; '))
    this.name = 'PlaceReturnError'
  }
}

/** One place in one round, from the results read model, with what the viewer may do there. */
export interface PlaceRoundView extends PlaceResults {
  round: RoundInfo
  framework: FrameworkDocument
  canAgree: boolean
  canAssure: boolean
  /** Whether the user may read each partner's own answers (not viewers: see the access module). */
  canReadPartnerAnswers: boolean
}

export const actionStatuses: Record<ActionStatus, string> = { not_started: 'Not started', in_progress: 'In progress', done: 'Done' }

/** One place's part of a round's results, shaped as the place pages read it. */
function placeView(
  results: RoundResults,
  placeId: number,
): Omit<PlaceRoundView, 'canAgree' | 'canAssure' | 'canReadPartnerAnswers'> | undefined {
  const place = results.places.find((p) => p.place.id === placeId)
  return place && { ...place, round: results.round, framework: results.framework.document }
}

/**
 * Place consensus (the place lead's review and return), ICS assurance (moderation, the
 * readiness recommendation and the decision) and the development plan. What a place's
 * results are comes from the results read model (server/results/); this service holds the
 * rules for changing them.
 */
export class PlaceReturnService {
  private readonly data: PlaceReturnData
  private readonly places: PlaceData
  private readonly rounds: RoundData
  private readonly readModel: ResultsReadModel

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
  ) {
    this.data = new PlaceReturnData(db)
    this.places = new PlaceData(db)
    this.rounds = new RoundData(db)
    this.readModel = new ResultsReadModel(db, clock)
  }

  private async placeAndRound(user: CurrentUser, roundId: number, placeId: number): Promise<{ round: RoundRecord; place: PlaceRecord }> {
    const [round, place] = await Promise.all([this.rounds.findRound(roundId), this.places.findPlace(placeId)])
    if (!round || !place || round.icsId !== place.icsId || !canViewPlace(user, place)) throw new NotFoundError()
    if (!(await this.rounds.placeTakesPart(round.id, place.id))) throw new NotFoundError()
    return { round, place }
  }

  /** Everything known about a place in a round (from the results read model); not found unless the place takes part. */
  async results(round: RoundRecord, place: PlaceRecord): Promise<Omit<PlaceRoundView, 'canAgree' | 'canAssure' | 'canReadPartnerAnswers'>> {
    const results = await this.readModel.round(round.id, { placeIds: [place.id] })
    const view = results && placeView(results, place.id)
    if (!view) throw new NotFoundError()
    return view
  }

  async view(user: CurrentUser, roundId: number, placeId: number): Promise<PlaceRoundView> {
    const place = await this.places.findPlace(placeId)
    if (!place || !canViewPlace(user, place)) throw new NotFoundError()
    const results = await this.readModel.round(roundId, { placeIds: [place.id] })
    const view = results && results.round.icsId === place.icsId ? placeView(results, place.id) : undefined
    if (!view) throw new NotFoundError()
    return {
      ...view,
      canAgree: canManagePlace(user, place) && view.placeReturn?.status !== 'submitted',
      canAssure: isIcsLead(user, view.round.icsId),
      canReadPartnerAnswers: canReadPlacePartnerAnswers(user, place),
    }
  }

  async partnerAnswers(user: CurrentUser, roundId: number, placeId: number, criterionCode?: string): Promise<PartnerAnswerRow[]> {
    const { round, place } = await this.placeAndRound(user, roundId, placeId)
    if (!canReadPlacePartnerAnswers(user, place)) throw new NotFoundError()
    return this.data.partnerAnswers(round.id, place.id, criterionCode)
  }

  private criterionOf(view: PlaceRoundView, code: string): CriterionResults {
    const found = view.criteria.find((c) => c.criterion.code === code)
    if (!found) throw new NotFoundError()
    return found
  }

  /** Records the place's agreed position on one criterion, while the return is a draft. */
  async agree(
    user: CurrentUser,
    roundId: number,
    placeId: number,
    code: string,
    input: { level: string; rationale: string; evidenceSummary: string },
    ip: string | undefined,
  ): Promise<void> {
    const view = await this.view(user, roundId, placeId)
    if (!canManagePlace(user, view.place)) throw new NotFoundError()
    const { criterion } = this.criterionOf(view, code)
    if (view.placeReturn?.status === 'submitted') {
      throw new PlaceReturnError([
        { text: 'The place return has been submitted, so the agreed position can no longer change', href: '#level' },
      ])
    }
    const levelCount = view.framework.levels.length
    const errors: FormError[] = []
    const notSure = input.level === 'not-sure'
    const level = /^\d+$/.test(input.level) && Number(input.level) >= 1 && Number(input.level) <= levelCount ? Number(input.level) : null
    if (!notSure && level === null) errors.push({ text: `Select the place’s agreed level for ${code}, or Not sure yet`, href: '#level' })
    if (!input.rationale.trim()) errors.push({ text: 'Enter the rationale for the agreed level', href: '#rationale' })
    if (input.rationale.length > 5000) errors.push({ text: 'Rationale must be 5,000 characters or fewer', href: '#rationale' })
    if (input.evidenceSummary.length > 5000)
      errors.push({ text: 'Evidence summary must be 5,000 characters or fewer', href: '#evidenceSummary' })
    if (errors.length > 0) throw new PlaceReturnError(errors)
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      const returnId = await this.data.ensureReturn(roundId, placeId, now, trx)
      const position = { level, notSure, rationale: input.rationale.trim(), evidenceSummary: input.evidenceSummary.trim() || null }
      await this.data.savePosition(returnId, criterion.id, position, user.id, now, trx)
      await this.audit.record(
        {
          kind: 'position.agreed',
          actorUserId: user.id,
          icsId: view.round.icsId,
          subjectType: 'place-return',
          subjectId: returnId,
          details: { criterion: code, ...position },
          ip,
        },
        trx,
      )
    })
  }

  async submitReturn(user: CurrentUser, roundId: number, placeId: number, ip: string | undefined): Promise<void> {
    const view = await this.view(user, roundId, placeId)
    if (!canManagePlace(user, view.place)) throw new NotFoundError()
    const missing = view.criteria.filter((c) => !c.position)
    if (missing.length > 0) {
      throw new PlaceReturnError(
        missing.map((c) => ({
          text: `Agree the place’s position on ${c.criterion.code} ${c.criterion.title}`,
          href: `#criterion-${c.criterion.code}`,
        })),
      )
    }
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      const returnId = await this.data.ensureReturn(roundId, placeId, now, trx)
      if (await this.data.setReturnStatus(returnId, 'submitted', user.id, now, trx)) {
        await this.audit.record(
          {
            kind: 'place-return.submitted',
            actorUserId: user.id,
            icsId: view.round.icsId,
            subjectType: 'place-return',
            subjectId: returnId,
            ip,
          },
          trx,
        )
      }
    })
  }

  async reopenReturn(user: CurrentUser, roundId: number, placeId: number, reason: string, ip: string | undefined): Promise<void> {
    const view = await this.view(user, roundId, placeId)
    if (!view.canAssure || !view.placeReturn) throw new NotFoundError()
    if (!reason.trim()) throw new PlaceReturnError([{ text: 'Enter the reason for reopening the place return', href: '#reopen-reason' }])
    await this.db.transaction(async (trx) => {
      if (await this.data.setReturnStatus(view.placeReturn!.id, 'draft', null, this.clock(), trx)) {
        await this.audit.record(
          {
            kind: 'place-return.reopened',
            actorUserId: user.id,
            icsId: view.round.icsId,
            subjectType: 'place-return',
            subjectId: view.placeReturn!.id,
            details: { reason: reason.trim() },
            ip,
          },
          trx,
        )
      }
    })
  }

  /** The ICS lead's moderated level for one criterion of a submitted return, with a comment; a blank level removes it. */
  async moderate(
    user: CurrentUser,
    roundId: number,
    placeId: number,
    code: string,
    input: { level: string; comment: string },
    ip: string | undefined,
  ): Promise<void> {
    const view = await this.view(user, roundId, placeId)
    if (!view.canAssure) throw new NotFoundError()
    const { criterion } = this.criterionOf(view, code)
    if (view.placeReturn?.status !== 'submitted') {
      throw new PlaceReturnError([{ text: 'The place return must be submitted before it can be moderated', href: '#moderation-level' }])
    }
    const returnId = view.placeReturn.id
    const errors: FormError[] = []
    const remove = input.level === 'none'
    const level = Number(input.level)
    if (!remove && !(Number.isInteger(level) && level >= 1 && level <= view.framework.levels.length)) {
      errors.push({ text: 'Select the moderated level', href: '#moderation-level' })
    }
    if (!remove && !input.comment.trim()) errors.push({ text: 'Enter a comment explaining the moderation', href: '#moderation-comment' })
    if (input.comment.length > 5000) errors.push({ text: 'Comment must be 5,000 characters or fewer', href: '#moderation-comment' })
    if (errors.length > 0) throw new PlaceReturnError(errors)
    await this.db.transaction(async (trx) => {
      if (remove) await this.data.removeModeration(returnId, criterion.id, trx)
      else await this.data.saveModeration(returnId, criterion.id, level, input.comment.trim(), user.id, this.clock(), trx)
      await this.audit.record(
        {
          kind: 'criterion.moderated',
          actorUserId: user.id,
          icsId: view.round.icsId,
          subjectType: 'place-return',
          subjectId: returnId,
          details: { criterion: code, level: remove ? null : level, comment: input.comment.trim() },
          ip,
        },
        trx,
      )
    })
  }

  /**
   * Records the delegation decision beside the recommendation. A decision that differs from
   * the recommendation needs a reason; both are kept, with the explanation as it stood.
   */
  async decide(
    user: CurrentUser,
    roundId: number,
    placeId: number,
    input: { level: string; rationale: string; decidedOn: string; decidingBody: string; differenceReason: string },
    ip: string | undefined,
  ): Promise<void> {
    const view = await this.view(user, roundId, placeId)
    if (!view.canAssure) throw new NotFoundError()
    const errors: FormError[] = []
    const level = Number(input.level)
    if (![1, 2, 3].includes(level)) errors.push({ text: 'Select the delegation level decided', href: '#decision-level' })
    if (!input.rationale.trim()) errors.push({ text: 'Enter the rationale for the decision', href: '#decision-rationale' })
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(input.decidedOn) ||
      Number.isNaN(Date.parse(`${input.decidedOn}T00:00:00Z`)) ||
      new Date(`${input.decidedOn}T00:00:00Z`).toISOString().slice(0, 10) !== input.decidedOn
    ) {
      errors.push({ text: 'Enter the date of the decision as a real date', href: '#decidedOn-day' })
    }
    if (!input.decidingBody.trim())
      errors.push({ text: 'Enter the body that made the decision, such as ICB Board', href: '#decision-body' })
    if ([1, 2, 3].includes(level) && level !== view.readiness.level && !input.differenceReason.trim()) {
      errors.push({
        text: `Enter why the decision differs from the recommendation (Level ${view.readiness.level} – ${view.readiness.outcome})`,
        href: '#decision-difference',
      })
    }
    if (input.rationale.length > 5000 || input.differenceReason.length > 5000)
      errors.push({ text: 'Rationale and reason must be 5,000 characters or fewer', href: '#decision-rationale' })
    if (errors.length > 0) throw new PlaceReturnError(errors)
    const decision = {
      roundId,
      placeId,
      recommendedLevel: view.readiness.level,
      decidedLevel: level,
      rationale: input.rationale.trim(),
      differenceReason: level !== view.readiness.level ? input.differenceReason.trim() : null,
      decidedOn: input.decidedOn,
      decidingBody: input.decidingBody.trim(),
      recommendationSnapshot: view.readiness.explanation,
    }
    await this.db.transaction(async (trx) => {
      await this.data.saveDecision(decision, user.id, this.clock(), trx)
      await this.audit.record(
        {
          kind: 'decision.recorded',
          actorUserId: user.id,
          icsId: view.round.icsId,
          subjectType: 'place',
          subjectId: placeId,
          details: { round: roundId, ...decision, recommendationSnapshot: undefined },
          ip,
        },
        trx,
      )
    })
  }

  /** The place page: the latest round's results beside the previous round's, the decision and the plan. */
  async placePage(user: CurrentUser, placeId: number) {
    const place = await this.places.findPlace(placeId)
    if (!place || !canViewPlace(user, place)) throw new NotFoundError()
    const rounds = await this.data.roundsOfPlace(place.id)
    const [latestId, previousId] = rounds.map((r) => r.id)
    const [results, organisations] = await Promise.all([
      this.readModel.rounds(
        rounds.slice(0, 2).map((r) => r.id),
        { placeIds: [place.id] },
      ),
      this.places.listOrganisations({ icsId: place.icsId, placeId: place.id }),
    ])
    const viewOf = (roundId: number | undefined) => {
      const found = results.find((r) => r.round.id === roundId)
      return found && placeView(found, place.id)
    }
    const latest = viewOf(latestId)
    const previous = viewOf(previousId)
    const previousLevels = new Map(previous?.criteria.map((c) => [c.criterion.code, c.used.level]) ?? [])
    return {
      place,
      latest,
      previous,
      rounds,
      trend: latest?.criteria.map((c) => {
        const before = previousLevels.get(c.criterion.code) ?? null
        const now = c.used.level
        const direction = before === null || now === null ? 'none' : now > before ? 'up' : now < before ? 'down' : 'same'
        return { code: c.criterion.code, before, now, direction }
      }),
      /** The latest round's plan: every action raised so far, open ones carried over. */
      actions: latest?.plan ?? [],
      organisations,
      canEditPlan: canManagePlace(user, place),
    }
  }

  private validateAction(
    input: { criterionCode: string; description: string; ownerOrganisationId: string; dueDate: string; status: string },
    criteriaCodes: string[],
    organisations: OrganisationRecord[],
  ): FormError[] {
    const errors: FormError[] = []
    if (!criteriaCodes.includes(input.criterionCode))
      errors.push({ text: 'Select the criterion the action is for', href: '#action-criterion' })
    if (!input.description.trim()) errors.push({ text: 'Enter what the action is', href: '#action-description' })
    if (input.description.length > 2000) errors.push({ text: 'Action must be 2,000 characters or fewer', href: '#action-description' })
    if (input.ownerOrganisationId !== '' && !organisations.some((o) => String(o.id) === input.ownerOrganisationId)) {
      errors.push({ text: 'Select an owner from the place’s partners', href: '#action-owner' })
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.dueDate) || Number.isNaN(Date.parse(`${input.dueDate}T00:00:00Z`))) {
      errors.push({ text: 'Enter the due date as a real date', href: '#action-due' })
    }
    if (!(input.status in actionStatuses)) errors.push({ text: 'Select the status', href: '#action-status' })
    return errors
  }

  async saveAction(
    user: CurrentUser,
    placeId: number,
    actionId: number | null,
    input: { criterionCode: string; description: string; ownerOrganisationId: string; dueDate: string; status: string },
    ip: string | undefined,
  ): Promise<void> {
    const page = await this.placePage(user, placeId)
    if (!page.canEditPlan || !page.latest) throw new NotFoundError()
    const errors = this.validateAction(
      input,
      page.latest.criteria.map((c) => c.criterion.code),
      page.organisations,
    )
    if (errors.length > 0) throw new PlaceReturnError(errors)
    const action = {
      criterionCode: input.criterionCode,
      description: input.description.trim(),
      ownerOrganisationId: input.ownerOrganisationId === '' ? null : Number(input.ownerOrganisationId),
      dueDate: input.dueDate,
      status: input.status as ActionStatus,
    }
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      let id = actionId
      if (id === null) id = await this.data.createAction({ ...action, placeId, roundId: page.latest!.round.id }, user.id, now, trx)
      else if (!(await this.data.updateAction(id, placeId, action, user.id, now, trx))) throw new NotFoundError()
      await this.audit.record(
        {
          kind: actionId === null ? 'action.created' : 'action.updated',
          actorUserId: user.id,
          icsId: page.place.icsId,
          subjectType: 'action',
          subjectId: id,
          details: action,
          ip,
        },
        trx,
      )
    })
  }
}
