import type { Database } from '../db/connection'
import { ReminderData, type DueReminder, type ReminderRecipient } from '../data/reminders'
import type { RoundRecord } from '../data/rounds'
import { deadlineReminder } from '../emails/messages'
import type { Logger } from '../logger'
import { dueReminderDay, maxReminderDay } from '../rounds/schedule'
import type { Mail, Mailer } from './mailer'

const dayMs = 24 * 60 * 60 * 1000

/** How many organisations' reminders are recorded and queued in one transaction. */
const batchSize = 100

export interface ReminderRunResult {
  /** Organisations reminded by this run. */
  organisations: number
  /** Mails written to the outbox by this run. */
  mails: number
  /** Organisations left out because nobody can answer for them yet (remind now only). */
  withoutRecipients?: number
}

/**
 * Deadline reminders: partners whose organisation has not submitted hear about it on each of
 * the round's reminder days before the deadline (by default 7, 3 and 1). Each reminder is
 * recorded in reminder_log, unique per round, organisation, deadline and day, in the same
 * transaction that writes its mails to the outbox, so a reminder goes once however often the
 * job runs and however many instances run it at the same moment. An extension is a new
 * deadline, so its reminders count from it. When a run finds several reminder days passed, only
 * the latest goes. "Remind now" sends at once, whatever the schedule, and is logged too.
 *
 * An organisation with no active partner respondent is not marked reminded, so a partner
 * added later still hears in time.
 */
export class ReminderService {
  private readonly data: ReminderData

  constructor(
    private readonly db: Database,
    private readonly mailer: Mailer,
    private readonly baseUrl: string,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {
    this.data = new ReminderData(db)
  }

  async run(log: Logger = this.logger): Promise<ReminderRunResult> {
    const now = this.clock()
    let organisations = 0
    let mails = 0
    for (const round of await this.data.openRoundsNear(now, maxReminderDay * dayMs)) {
      const day = dueReminderDay(round, round.reminderDays, now)
      if (day === undefined) continue
      const due = await this.data.notSubmitted(round, { daysBefore: day })
      const sent = await this.send(due, day, null)
      organisations += sent.organisations
      mails += sent.mails
    }
    if (organisations > 0) log.info({ organisations, mails }, 'Deadline reminders sent')
    return { organisations, mails }
  }

  /** Reminds now, whatever the schedule, the organisations given that have not submitted. */
  async remindNow(
    round: RoundRecord,
    scope: { placeId?: number; organisationId?: number },
    sentBy: number,
  ): Promise<Required<ReminderRunResult>> {
    const due = await this.data.notSubmitted(round, scope)
    return this.send(due, null, sentBy)
  }

  /** Records and queues reminders in batches, each batch one transaction; mails leave once it has committed. */
  private async send(due: DueReminder[], daysBefore: number | null, sentBy: number | null): Promise<Required<ReminderRunResult>> {
    if (due.length === 0) return { organisations: 0, mails: 0, withoutRecipients: 0 }
    const recipients = new Map<number, ReminderRecipient[]>()
    for (const recipient of await this.data.recipients(
      due[0]!.roundId,
      due.map((d) => d.organisationId),
    )) {
      recipients.set(recipient.organisationId, [...(recipients.get(recipient.organisationId) ?? []), recipient])
    }
    const withRecipients = due.filter((d) => recipients.has(d.organisationId))
    const now = this.clock()
    let organisations = 0
    let mails = 0
    for (let i = 0; i < withRecipients.length; i += batchSize) {
      const batch = withRecipients.slice(i, i + batchSize)
      const sent = await this.db.transaction(async (trx) => {
        const recorded = await this.data.record(
          batch.map((d) => ({
            roundId: d.roundId,
            organisationId: d.organisationId,
            daysBefore,
            deadline: d.deadline,
            recipients: recipients.get(d.organisationId)!.length,
            sentBy,
          })),
          now,
          trx,
        )
        // Those another instance recorded first are theirs to send.
        const won = batch.filter((d) => recorded.has(d.organisationId))
        const queued = won.flatMap((d) => recipients.get(d.organisationId)!.map((r) => this.mail(d, r, daysBefore)))
        return { organisations: won.length, outboxIds: await this.mailer.enqueue(queued, trx) }
      })
      organisations += sent.organisations
      mails += sent.outboxIds.length
      // Delivered only once the transaction has committed: no mail leaves for a reminder that was rolled back.
      await this.mailer.deliver(sent.outboxIds)
    }
    return { organisations, mails, withoutRecipients: due.length - withRecipients.length }
  }

  /** The reminders an organisation was sent, newest first. */
  log(organisationId: number) {
    return this.data.log(organisationId)
  }

  private mail(due: DueReminder, to: ReminderRecipient, daysBefore: number | null): Mail {
    return {
      to: to.email,
      icsId: due.icsId,
      ...deadlineReminder({
        final: daysBefore === 1,
        recipientName: to.name,
        organisationName: due.organisationName,
        placeName: due.placeName,
        roundTitle: due.roundTitle,
        deadline: due.deadline,
        answered: due.answered,
        criteria: due.criteria,
        link: `${this.baseUrl}/rounds/${due.roundId}/organisations/${due.organisationId}`,
      }),
    }
  }
}
