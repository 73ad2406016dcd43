import type { Database } from '../db/connection'
import { ReminderData, reminderKey, type DueReminder, type ReminderRecipient } from '../data/reminders'
import { deadlineReminder } from '../emails/messages'
import type { Logger } from '../logger'
import type { Mail, Mailer } from '../services/mailer'

const dayMs = 24 * 60 * 60 * 1000

/** The first reminder goes this long before the deadline, the final one this long before. */
export const reminderWindows = { first: 7 * dayMs, final: dayMs } as const

/** How many organisations' reminders are recorded and queued in one transaction. */
const batchSize = 100

export interface ReminderRunResult {
  /** Organisations reminded by this run. */
  organisations: number
  /** Mails written to the outbox by this run. */
  mails: number
}

/**
 * Deadline reminders: partners whose organisation has not submitted hear about it 7 days
 * before the deadline and again 1 day before. Each reminder is recorded in reminders_sent in
 * the same transaction that writes its mails to the outbox, and that record is unique per
 * round, organisation and kind, so a reminder goes once however often the job runs and
 * however many instances run it at the same moment. When a run starts inside the final day,
 * only the final reminder goes.
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
    const due = await this.data.due(now, reminderWindows.first, reminderWindows.final)
    if (due.length === 0) return { organisations: 0, mails: 0 }
    const recipients = new Map<string, ReminderRecipient[]>()
    for (const recipient of await this.data.recipients([...new Set(due.map((d) => d.roundId))])) {
      const key = `${recipient.roundId}:${recipient.organisationId}`
      recipients.set(key, [...(recipients.get(key) ?? []), recipient])
    }
    const withRecipients = due.filter((d) => recipients.has(`${d.roundId}:${d.organisationId}`))

    let organisations = 0
    let mails = 0
    for (let i = 0; i < withRecipients.length; i += batchSize) {
      const batch = withRecipients.slice(i, i + batchSize)
      const sent = await this.db.transaction(async (trx) => {
        const recorded = await this.data.record(
          batch.map((d) => ({
            roundId: d.roundId,
            organisationId: d.organisationId,
            kind: d.kind,
            deadline: d.deadline,
            recipients: recipients.get(`${d.roundId}:${d.organisationId}`)!.length,
          })),
          now,
          trx,
        )
        // Those another instance recorded first are theirs to send.
        const won = batch.filter((d) => recorded.has(reminderKey(d.roundId, d.organisationId, d.kind)))
        const queued = won.flatMap((d) => recipients.get(`${d.roundId}:${d.organisationId}`)!.map((r) => this.mail(d, r)))
        return { organisations: won.length, outboxIds: await this.mailer.enqueue(queued, trx) }
      })
      organisations += sent.organisations
      mails += sent.outboxIds.length
      // Delivered only once the transaction has committed: no mail leaves for a reminder that was rolled back.
      await this.mailer.deliver(sent.outboxIds)
    }
    if (organisations > 0) log.info({ organisations, mails }, 'Deadline reminders sent')
    return { organisations, mails }
  }

  private mail(due: DueReminder, to: ReminderRecipient): Mail {
    return {
      to: to.email,
      icsId: due.icsId,
      ...deadlineReminder({
        kind: due.kind,
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
