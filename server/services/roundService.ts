import { isIcsLead } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import type { Database } from '../db/connection'
import { FrameworkData } from '../data/frameworks'
import { PlaceData } from '../data/places'
import { ResponseData } from '../data/responses'
import { RoundData, type RoundInput, type RoundRecord } from '../data/rounds'
import { NotFoundError, ValidationError } from '../errors'
import type { FormError } from '../forms/errors'
import type { ReminderService } from './reminderService'
import { deadlineOf, endOf, normaliseReminderDays, roundState, type RoundState } from '../rounds/schedule'
import type { AuditService } from './auditService'
import type { Mailer } from './mailer'

export interface RoundView {
  round: RoundRecord
  state: RoundState
  deadline: Date
  /** When answers stop: the deadline, or when the round was closed early. */
  endsAt: Date
}

export interface RoundFormInput extends RoundInput {
  /** The earlier round this one copies (its places and partners; its open development actions are carried over). */
  copyFromRoundId: number | null
}

/**
 * Running assessment rounds: create (or copy) one, change it before it opens, open it now,
 * close it early, extend it, reopen one organisation's response, set its reminder days and
 * remind now. Only the ICS's leads may; every change is audited with its reason.
 */
export class RoundService {
  private readonly rounds: RoundData
  private readonly responses: ResponseData
  private readonly places: PlaceData
  private readonly frameworks: FrameworkData

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly reminders: ReminderService,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
  ) {
    this.rounds = new RoundData(db)
    this.responses = new ResponseData(db)
    this.places = new PlaceData(db)
    this.frameworks = new FrameworkData(db)
  }

  private view(round: RoundRecord): RoundView {
    return { round, state: roundState(round, this.clock()), deadline: deadlineOf(round), endsAt: endOf(round) }
  }

  /** A round the user leads, or "not found". */
  async get(user: CurrentUser, roundId: number): Promise<RoundView> {
    const round = await this.rounds.findRound(roundId)
    if (!round || !isIcsLead(user, round.icsId)) throw new NotFoundError()
    return this.view(round)
  }

  /** The rounds of the ICSs the user leads, newest first, with partners' submissions counted. */
  async list(user: CurrentUser) {
    const icsIds = [...new Set(user.memberships.filter((m) => m.role === 'ics_lead').map((m) => m.icsId))]
    return (await this.rounds.roundsForIcs(icsIds)).map((round) => ({ ...round, ...this.view(round) }))
  }

  /** The ICS lead's page of a round today: every organisation with the state of its response. */
  async forLead(user: CurrentUser, roundId: number) {
    const { round, deadline } = await this.get(user, roundId)
    return {
      round,
      deadline,
      responses: await this.responses.roundResponses(roundId),
      places: await this.rounds.placesInRound(roundId),
    }
  }

  /** The round page: each place with its organisations' progress, and what needs attention. */
  async summary(user: CurrentUser, roundId: number) {
    const view = await this.get(user, roundId)
    const [places, failedMails, version] = [
      await this.rounds.placeSummaries(roundId),
      await this.mailer.failedCount([view.round.icsId]),
      await this.frameworks.getVersion(view.round.frameworkVersionId),
    ]
    // Actions are carried over only into a round copied from another, and the page counts them only there.
    const copiedFrom = view.round.copiedFromRoundId ? await this.rounds.findRound(view.round.copiedFromRoundId) : undefined
    const carried = copiedFrom ? await this.rounds.carriedActionCounts(roundId) : new Map<number, number>()
    const totals = places.reduce(
      (t, p) => ({
        organisations: t.organisations + p.organisations,
        submitted: t.submitted + p.submitted,
        inProgress: t.inProgress + p.inProgress,
        notStarted: t.notStarted + p.notStarted,
        withoutContact: t.withoutContact + p.withoutContact,
        returns: t.returns + (p.returnStatus === 'submitted' ? 1 : 0),
      }),
      { organisations: 0, submitted: 0, inProgress: 0, notStarted: 0, withoutContact: 0, returns: 0 },
    )
    return {
      ...view,
      places,
      totals,
      carriedActions: [...carried.values()].reduce((a, b) => a + b, 0),
      failedMails,
      frameworkLabel: version ? `${version.title}, version ${version.versionLabel}` : '',
      copiedFrom: copiedFrom ? { id: copiedFrom.id, title: copiedFrom.title } : undefined,
    }
  }

  /** One place of a round: its organisations with progress, contacts and reminders, and the actions carried over. */
  async place(user: CurrentUser, roundId: number, placeId: number) {
    const view = await this.get(user, roundId)
    const place = await this.places.findPlace(placeId)
    if (!place || place.icsId !== view.round.icsId || !(await this.rounds.placeTakesPart(roundId, placeId))) throw new NotFoundError()
    return {
      ...view,
      place,
      organisations: await this.rounds.organisationsInPlace(roundId, placeId),
      carriedActions: await this.rounds.carriedActions(roundId, placeId),
    }
  }

  /** The place of an organisation taking part in a round the user leads, or "not found". */
  async placeOfOrganisation(user: CurrentUser, roundId: number, organisationId: number): Promise<number> {
    const { round } = await this.get(user, roundId)
    const organisation = await this.places.findOrganisation(organisationId)
    if (!organisation || organisation.icsId !== round.icsId || !(await this.rounds.placeTakesPart(roundId, organisation.placeId)))
      throw new NotFoundError()
    return organisation.placeId
  }

  /** What the round form offers: the framework versions the ICS may use and its places in use. */
  async formChoices(user: CurrentUser, icsId: number) {
    if (!isIcsLead(user, icsId)) throw new NotFoundError()
    return {
      versions: (await this.frameworks.listVisibleVersions(icsId)).map((v) => ({
        id: v.id,
        label: `${v.title}, version ${v.versionLabel}`,
        criteria: v.criteria,
      })),
      places: await this.places.listPlaces(icsId),
      rounds: (await this.rounds.roundsForIcs([icsId])).map((r) => ({ id: r.id, title: r.title })),
    }
  }

  /** The values a copy of an earlier round starts from: its framework, places and reminder days. */
  async copySource(user: CurrentUser, roundId: number) {
    const { round } = await this.get(user, roundId)
    return { round, placeIds: await this.rounds.placeIds(roundId) }
  }

  private async check(icsId: number, input: RoundFormInput, roundId?: number): Promise<FormError[]> {
    const errors: FormError[] = []
    if (await this.rounds.findRoundByTitle(icsId, input.title, roundId)) {
      errors.push({ text: 'There is already a round with this name: choose another', href: '#title' })
    }
    const version = await this.frameworks.getVersion(input.frameworkVersionId)
    if (!version || (version.ownerIcsId !== null && version.ownerIcsId !== icsId)) {
      errors.push({ text: 'Select the framework version', href: '#frameworkVersionId' })
    }
    if (input.closesAt <= input.opensAt) errors.push({ text: 'The deadline must be after the round opens', href: '#closes-day' })
    else if (input.closesAt <= this.clock()) errors.push({ text: 'The deadline must be in the future', href: '#closes-day' })
    const active = new Set((await this.places.listPlaces(icsId)).map((p) => p.id))
    if (input.placeIds.length === 0) errors.push({ text: 'Select the places taking part', href: '#placeIds' })
    else if (input.placeIds.some((id) => !active.has(id)))
      errors.push({ text: 'Select only places of this ICS that are not retired', href: '#placeIds' })
    if (normaliseReminderDays(input.reminderDays).length !== input.reminderDays.length) {
      errors.push({ text: 'Enter reminder days as whole numbers from 1 to 60, each once', href: '#reminderDays' })
    }
    return errors
  }

  async create(actor: Actor, icsId: number, input: RoundFormInput): Promise<number> {
    if (!isIcsLead(actor.user, icsId)) throw new NotFoundError()
    const errors = await this.check(icsId, input)
    const source = input.copyFromRoundId === null ? undefined : await this.rounds.findRound(input.copyFromRoundId)
    if (input.copyFromRoundId !== null && (!source || source.icsId !== icsId))
      errors.push({ text: 'Select the round to copy', href: '#title' })
    if (errors.length > 0) throw new ValidationError(errors)
    const now = this.clock()
    return this.db.transaction(async (trx) => {
      const roundId = await this.rounds.createRound(
        icsId,
        { ...input, reminderDays: normaliseReminderDays(input.reminderDays) },
        { copiedFrom: source?.id ?? null, createdBy: actor.user.id },
        now,
        trx,
      )
      await this.frameworks.lockVersion(input.frameworkVersionId, trx)
      const carried = source ? await this.rounds.openActionIds(input.placeIds, trx) : []
      await this.rounds.carryActions(roundId, carried, trx)
      await this.audit.record(
        actor,
        {
          kind: 'round.created',
          icsId,
          subjectType: 'round',
          subjectId: roundId,
          details: {
            title: input.title,
            frameworkVersionId: input.frameworkVersionId,
            opensAt: input.opensAt.toISOString(),
            closesAt: input.closesAt.toISOString(),
            places: input.placeIds.length,
            reminderDays: input.reminderDays,
            ...(source ? { copiedFrom: source.id, carriedActions: carried.length } : {}),
          },
        },
        trx,
      )
      return roundId
    })
  }

  /** Changes a round before it opens; once it has, only its deadline can move (extend). */
  async update(actor: Actor, roundId: number, input: RoundInput): Promise<void> {
    const { round, state } = await this.get(actor.user, roundId)
    if (state !== 'upcoming')
      throw new ValidationError([
        { text: 'This round has opened, so it can no longer be changed: extend its deadline instead', href: '#title' },
      ])
    const errors = await this.check(round.icsId, { ...input, copyFromRoundId: null }, roundId)
    if (errors.length > 0) throw new ValidationError(errors)
    const before = { ...round, placeIds: await this.rounds.placeIds(roundId) }
    await this.db.transaction(async (trx) => {
      await this.rounds.updateRound(roundId, { ...input, reminderDays: normaliseReminderDays(input.reminderDays) }, trx)
      if (input.frameworkVersionId !== round.frameworkVersionId) {
        await this.frameworks.lockVersion(input.frameworkVersionId, trx)
        await this.frameworks.unlockIfUnused(round.frameworkVersionId, trx)
      }
      await this.audit.record(
        actor,
        {
          kind: 'round.changed',
          icsId: round.icsId,
          subjectType: 'round',
          subjectId: roundId,
          details: {
            before: {
              title: before.title,
              frameworkVersionId: before.frameworkVersionId,
              opensAt: before.opensAt.toISOString(),
              closesAt: before.closesAt.toISOString(),
              placeIds: before.placeIds,
              reminderDays: before.reminderDays,
            },
            after: {
              title: input.title,
              frameworkVersionId: input.frameworkVersionId,
              opensAt: input.opensAt.toISOString(),
              closesAt: input.closesAt.toISOString(),
              placeIds: input.placeIds,
              reminderDays: input.reminderDays,
            },
          },
        },
        trx,
      )
    })
  }

  /** Opens an upcoming round now, rather than at its opening time, saying why. */
  async open(actor: Actor, roundId: number, { reason }: { reason: string }): Promise<void> {
    const { round, state } = await this.get(actor.user, roundId)
    if (state !== 'upcoming') throw new ValidationError([{ text: 'This round is already open or closed', href: '#open-reason' }])
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      await this.rounds.setOpensAt(roundId, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'round.opened',
          icsId: round.icsId,
          subjectType: 'round',
          subjectId: roundId,
          details: { scheduledFor: round.opensAt.toISOString(), reason },
        },
        trx,
      )
    })
  }

  /** Closes an open round before its deadline: partners can no longer change or submit answers. */
  async close(actor: Actor, roundId: number, { reason }: { reason: string }): Promise<void> {
    const { round, state, deadline } = await this.get(actor.user, roundId)
    if (state !== 'open') throw new ValidationError([{ text: 'Only an open round can be closed', href: '#close-reason' }])
    const now = this.clock()
    await this.db.transaction(async (trx) => {
      await this.rounds.close(roundId, now, trx)
      await this.audit.record(
        actor,
        {
          kind: 'round.closed',
          icsId: round.icsId,
          subjectType: 'round',
          subjectId: roundId,
          details: { deadline: deadline.toISOString(), reason },
        },
        trx,
      )
    })
  }

  /**
   * A new deadline, later than the current one and in the future; a closed round opens again
   * until it. Reminders then count from the new deadline.
   */
  async extend(actor: Actor, roundId: number, { until, reason }: { until: Date; reason: string }): Promise<void> {
    const { round, deadline, state } = await this.get(actor.user, roundId)
    if (state === 'upcoming')
      throw new ValidationError([{ text: 'This round has not opened yet: change its deadline instead', href: '#until-day' }])
    if (until <= deadline || until <= this.clock())
      throw new ValidationError([{ text: 'The new deadline must be later than the current one, and in the future', href: '#until-day' }])
    await this.db.transaction(async (trx) => {
      await this.rounds.extendRound(round.id, until, trx)
      await this.audit.record(
        actor,
        {
          kind: 'round.extended',
          icsId: round.icsId,
          subjectType: 'round',
          subjectId: round.id,
          details: {
            from: deadline.toISOString(),
            to: until.toISOString(),
            reason,
            ...(round.closedAt ? { reopenedAfterClosing: round.closedAt.toISOString() } : {}),
          },
        },
        trx,
      )
    })
  }

  /** Reopens one organisation's submitted response, saying why. */
  async reopenResponse(actor: Actor, roundId: number, organisationId: number, { reason }: { reason: string }): Promise<void> {
    const { round } = await this.get(actor.user, roundId)
    const response = await this.responses.findResponse(roundId, organisationId)
    if (!response) throw new NotFoundError()
    await this.db.transaction(async (trx) => {
      if (await this.responses.reopen(response.id, trx)) {
        await this.audit.record(
          actor,
          {
            kind: 'response.reopened',
            icsId: round.icsId,
            subjectType: 'response',
            subjectId: response.id,
            details: { reason },
          },
          trx,
        )
      }
    })
  }

  async setReminderDays(actor: Actor, roundId: number, days: number[]): Promise<void> {
    const { round } = await this.get(actor.user, roundId)
    const normalised = normaliseReminderDays(days)
    if (normalised.length !== days.length)
      throw new ValidationError([{ text: 'Enter reminder days as whole numbers from 1 to 60, each once', href: '#reminderDays' }])
    await this.db.transaction(async (trx) => {
      await this.rounds.setReminderDays(roundId, normalised, trx)
      await this.audit.record(
        actor,
        {
          kind: 'round.reminders-changed',
          icsId: round.icsId,
          subjectType: 'round',
          subjectId: roundId,
          details: { from: round.reminderDays, to: normalised },
        },
        trx,
      )
    })
  }

  /** "Remind now": every organisation of the round, one place or one organisation that has not submitted. */
  async remindNow(actor: Actor, roundId: number, scope: { placeId?: number; organisationId?: number }) {
    const { round, state } = await this.get(actor.user, roundId)
    if (state !== 'open') throw new ValidationError([{ text: 'Reminders can only be sent while the round is open', href: '#remind' }])
    if (scope.placeId !== undefined && !(await this.rounds.placeTakesPart(roundId, scope.placeId))) throw new NotFoundError()
    if (scope.organisationId !== undefined) {
      const organisation = await this.places.findOrganisation(scope.organisationId)
      if (!organisation || organisation.icsId !== round.icsId || !(await this.rounds.placeTakesPart(roundId, organisation.placeId)))
        throw new NotFoundError()
    }
    const result = await this.reminders.remindNow(round, scope, actor.user.id)
    await this.audit.record(actor, {
      kind: 'reminder.sent-now',
      icsId: round.icsId,
      subjectType: 'round',
      subjectId: roundId,
      details: { ...scope, organisations: result.organisations, mails: result.mails, withoutRecipients: result.withoutRecipients },
    })
    return result
  }
}
