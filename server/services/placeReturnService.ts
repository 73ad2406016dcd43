import type { Database } from '../db/connection'
import { canManagePlace, canReadPlacePartnerAnswers, canViewPlace, isIcsLead } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import { FrameworkData } from '../data/frameworks'
import { PlaceData, type PlaceRecord } from '../data/places'
import { PlaceReturnData, type ActionStatus, type PartnerAnswerRow } from '../data/placeReturns'
import { RoundData, type RoundRecord } from '../data/rounds'
import type { FormError } from '../forms/errors'
import type { FrameworkDocument } from '../framework/types'
import { NotFoundError, ValidationError } from '../errors'
import type { ActionInput, DecisionInput, ModerationInput, PositionInput } from '../forms/placeReturn'
import { ResultsReadModel, type CriterionResults, type PlaceResults, type RoundInfo, type RoundResults } from '../results'
import { formatCalendarDate, londonIsoDate } from '../time/london'
import type { AuditService } from './auditService'

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
  private readonly frameworks: FrameworkData
  private readonly readModel: ResultsReadModel

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
    /** Every round of an ICS, kept while the database says nothing changed (the dashboards'); read here when absent. */
    private readonly icsResults?: { roundsOfIcs(icsId: number): Promise<RoundResults[]> },
  ) {
    this.data = new PlaceReturnData(db)
    this.places = new PlaceData(db)
    this.rounds = new RoundData(db)
    this.frameworks = new FrameworkData(db)
    this.readModel = new ResultsReadModel(db, clock)
  }

  private async placeAndRound(user: CurrentUser, roundId: number, placeId: number): Promise<{ round: RoundRecord; place: PlaceRecord }> {
    const [round, place] = await Promise.all([this.rounds.findRound(roundId), this.places.findPlace(placeId)])
    if (!round || !place || round.icsId !== place.icsId || !canViewPlace(user, place)) throw new NotFoundError()
    if (!(await this.rounds.placeTakesPart(round.id, place.id))) throw new NotFoundError()
    return { round, place }
  }

  /**
   * These rounds' results with this place's part (unknown rounds, or rounds of another ICS, left
   * out): taken from the ICS's results kept by the dashboards while the database says nothing
   * changed, so a place page costs one check instead of reading every kind of row again; read
   * here when none are kept or a round is not among them (one that has not opened yet).
   */
  private async resultsOf(icsId: number, roundIds: number[], placeId: number): Promise<RoundResults[]> {
    if (this.icsResults) {
      const kept = await this.icsResults.roundsOfIcs(icsId)
      const found = roundIds.map((id) => kept.find((r) => r.round.id === id))
      if (found.every((r) => r !== undefined)) return found
    }
    return (await this.readModel.rounds(roundIds, { placeIds: [placeId] })).filter((r) => r.round.icsId === icsId)
  }

  /** How many levels the round's framework has: what a level chosen on the place forms may be. */
  async levelCount(roundId: number): Promise<number> {
    return (await this.frameworkOfRound(roundId)).levels.length
  }

  /** The codes of the round's criteria, in order: where a position form may go next. */
  async criterionCodes(roundId: number): Promise<string[]> {
    return (await this.frameworkOfRound(roundId)).domains.flatMap((d) => d.criteria.map((c) => c.code))
  }

  private async frameworkOfRound(roundId: number): Promise<FrameworkDocument> {
    const round = await this.rounds.findRound(roundId)
    if (!round) throw new NotFoundError()
    return (await this.frameworks.getVersion(round.frameworkVersionId))!.document
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
    const [results] = await this.resultsOf(place.icsId, [roundId], place.id)
    const view = results && placeView(results, place.id)
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
  async agree(actor: Actor, roundId: number, placeId: number, code: string, position: PositionInput): Promise<void> {
    const view = await this.view(actor.user, roundId, placeId)
    if (!canManagePlace(actor.user, view.place)) throw new NotFoundError()
    const { criterion } = this.criterionOf(view, code)
    if (view.placeReturn?.status === 'submitted') {
      throw new ValidationError([
        { text: 'The place return has been submitted, so the agreed position can no longer change', href: '#level' },
      ])
    }
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      const returnId = await this.data.ensureReturn(roundId, placeId, now, trx)
      await this.data.savePosition(returnId, criterion.id, position, actor.user.id, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'position.agreed',
          icsId: view.round.icsId,
          subjectType: 'place-return',
          subjectId: returnId,
          details: { criterion: code, ...position },
        },
        trx,
      )
    })
  }

  async submitReturn(actor: Actor, roundId: number, placeId: number): Promise<void> {
    const view = await this.view(actor.user, roundId, placeId)
    if (!canManagePlace(actor.user, view.place)) throw new NotFoundError()
    const missing = view.criteria.filter((c) => !c.position)
    if (missing.length > 0) {
      throw new ValidationError(
        missing.map((c) => ({
          text: `Agree the place’s position on ${c.criterion.code} ${c.criterion.title}`,
          href: `#criterion-${c.criterion.code}`,
        })),
      )
    }
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      const returnId = await this.data.ensureReturn(roundId, placeId, now, trx)
      if (await this.data.setReturnStatus(returnId, 'submitted', actor.user.id, now, trx)) {
        await this.audit.record(
          actor,
          {
            kind: 'place-return.submitted',
            icsId: view.round.icsId,
            subjectType: 'place-return',
            subjectId: returnId,
          },
          trx,
        )
      }
    })
  }

  async reopenReturn(actor: Actor, roundId: number, placeId: number, input: { reason: string }): Promise<void> {
    const view = await this.view(actor.user, roundId, placeId)
    if (!view.canAssure || !view.placeReturn) throw new NotFoundError()
    await this.db.transaction(async (trx) => {
      if (await this.data.setReturnStatus(view.placeReturn!.id, 'draft', null, this.clock(), trx)) {
        await this.audit.record(
          actor,
          {
            kind: 'place-return.reopened',
            icsId: view.round.icsId,
            subjectType: 'place-return',
            subjectId: view.placeReturn!.id,
            details: { reason: input.reason },
          },
          trx,
        )
      }
    })
  }

  /** The ICS lead's moderated level for one criterion of a submitted return, with a comment; no level removes it. */
  async moderate(actor: Actor, roundId: number, placeId: number, code: string, input: ModerationInput): Promise<void> {
    const view = await this.view(actor.user, roundId, placeId)
    if (!view.canAssure) throw new NotFoundError()
    const { criterion } = this.criterionOf(view, code)
    if (view.placeReturn?.status !== 'submitted') {
      throw new ValidationError([{ text: 'The place return must be submitted before it can be moderated', href: '#moderation-level' }])
    }
    const returnId = view.placeReturn.id
    await this.db.transaction(async (trx) => {
      if (input.level === null) await this.data.removeModeration(returnId, criterion.id, trx)
      else await this.data.saveModeration(returnId, criterion.id, input.level, input.comment, actor.user.id, this.clock(), trx)
      await this.audit.record(
        actor,
        {
          kind: 'criterion.moderated',
          icsId: view.round.icsId,
          subjectType: 'place-return',
          subjectId: returnId,
          details: { criterion: code, level: input.level, comment: input.comment },
        },
        trx,
      )
    })
  }

  /**
   * Records the delegation decision beside the recommendation. A decision that differs from
   * the recommendation needs a reason; both are kept, with the explanation as it stood.
   */
  async decide(actor: Actor, roundId: number, placeId: number, input: DecisionInput): Promise<void> {
    const view = await this.view(actor.user, roundId, placeId)
    if (!view.canAssure) throw new NotFoundError()
    const level = input.decisionLevel
    const errors: FormError[] = []
    // A decision rests on this round's return, so it cannot be dated before the round opened.
    const opened = londonIsoDate(view.round.opensAt)
    if (input.decidedOn < opened) {
      errors.push({
        text: `The date of the decision must be on or after the day the round opened, ${formatCalendarDate(opened)}`,
        href: '#decidedOn-day',
      })
    }
    if (level !== view.readiness.level && !input.differenceReason) {
      errors.push({
        text: `Enter why the decision differs from the recommendation (Level ${view.readiness.level} – ${view.readiness.outcome})`,
        href: '#decision-difference',
      })
    }
    if (errors.length > 0) throw new ValidationError(errors)
    const decision = {
      roundId,
      placeId,
      recommendedLevel: view.readiness.level,
      decidedLevel: level,
      rationale: input.decisionRationale,
      differenceReason: level !== view.readiness.level ? input.differenceReason : null,
      decidedOn: input.decidedOn,
      decidingBody: input.decidingBody,
      recommendationSnapshot: view.readiness.explanation,
    }
    await this.db.transaction(async (trx) => {
      await this.data.saveDecision(decision, actor.user.id, this.clock(), trx)
      await this.audit.record(
        actor,
        {
          kind: 'decision.recorded',
          icsId: view.round.icsId,
          subjectType: 'place',
          subjectId: placeId,
          details: { round: roundId, ...decision, recommendationSnapshot: undefined },
        },
        trx,
      )
    })
  }

  /** The place page: the latest round's results beside the previous round's, the decision and the plan. */
  async placePage(user: CurrentUser, placeId: number) {
    const place = await this.places.findPlace(placeId)
    if (!place || !canViewPlace(user, place)) throw new NotFoundError()
    // Every round the place takes part in, for its reports; the latest round with results is one
    // that has opened (the next round, set up early, has none yet).
    const allRounds = await this.data.roundsOfPlace(place.id)
    const now = this.clock()
    const rounds = allRounds.filter((r) => r.opensAt <= now)
    const [latestId, previousId] = rounds.map((r) => r.id)
    const [results, organisations] = await Promise.all([
      this.resultsOf(
        place.icsId,
        rounds.slice(0, 2).map((r) => r.id),
        place.id,
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
      /** Every round the place takes part in, newest first, opened or not, with whether its results are published. */
      allRounds,
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

  /** Adds an action to the place's development plan (actionId null), or changes one. */
  async saveAction(actor: Actor, placeId: number, actionId: number | null, input: ActionInput): Promise<void> {
    const page = await this.placePage(actor.user, placeId)
    if (!page.canEditPlan || !page.latest) throw new NotFoundError()
    const errors: FormError[] = []
    if (!page.latest.criteria.some((c) => c.criterion.code === input.criterionCode))
      errors.push({ text: 'Select the criterion the action is for', href: '#action-criterion' })
    if (input.ownerOrganisationId !== null && !page.organisations.some((o) => o.id === input.ownerOrganisationId))
      errors.push({ text: 'Select an owner from the place’s partners', href: '#action-owner' })
    if (errors.length > 0) throw new ValidationError(errors)
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      let id = actionId
      if (id === null) id = await this.data.createAction({ ...input, placeId, roundId: page.latest!.round.id }, actor.user.id, now, trx)
      else if (!(await this.data.updateAction(id, placeId, input, actor.user.id, now, trx))) throw new NotFoundError()
      await this.audit.record(
        actor,
        {
          kind: actionId === null ? 'action.created' : 'action.updated',
          icsId: page.place.icsId,
          subjectType: 'action',
          subjectId: id,
          details: input,
        },
        trx,
      )
    })
  }
}
