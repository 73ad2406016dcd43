import { isIcsLead } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import { ResponseData } from '../data/responses'
import { RoundData } from '../data/rounds'
import { deadlineOn, type CalendarDate } from '../time/london'
import type { Database } from '../db/connection'
import { NotFoundError, ValidationError } from '../errors'
import type { AuditService } from './auditService'

/** The ICS lead's running of assessment rounds: following them, extending a deadline, reopening a response. */
export class RoundService {
  private readonly rounds: RoundData
  private readonly responses: ResponseData

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
  ) {
    this.rounds = new RoundData(db)
    this.responses = new ResponseData(db)
  }

  /** The rounds of every ICS the user leads, newest first, with whether each is open. */
  async list(user: CurrentUser) {
    const icsIds = [...new Set(user.memberships.filter((m) => m.role === 'ics_lead').map((m) => m.icsId))]
    const now = this.clock()
    return (await this.rounds.roundsForIcs(icsIds)).map((round) => {
      const deadline = round.extendedUntil ?? round.closesAt
      return { ...round, deadline, isOpen: now >= round.opensAt && now < deadline }
    })
  }

  /** The ICS lead's view of a round: every organisation with the state of its response. */
  async forLead(user: CurrentUser, roundId: number) {
    const round = await this.rounds.findRound(roundId)
    if (!round || !isIcsLead(user, round.icsId)) throw new NotFoundError()
    return {
      round,
      deadline: round.extendedUntil ?? round.closesAt,
      responses: await this.responses.roundResponses(roundId),
      places: await this.rounds.placesInRound(roundId),
    }
  }

  /** Moves the deadline to 5pm London time on a later day, with the reason in the audit trail. */
  async extend(actor: Actor, roundId: number, input: { until: CalendarDate; reason: string }): Promise<void> {
    const { round, deadline } = await this.forLead(actor.user, roundId)
    const until = deadlineOn(input.until)
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
          details: { from: deadline.toISOString(), to: until.toISOString(), reason: input.reason },
        },
        trx,
      )
    })
  }

  /** Reopens an organisation's submitted response so its partners can change it, with the reason in the audit trail. */
  async reopenResponse(actor: Actor, roundId: number, organisationId: number, input: { reason: string }): Promise<void> {
    const { round } = await this.forLead(actor.user, roundId)
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
            details: { reason: input.reason },
          },
          trx,
        )
      }
    })
  }
}
