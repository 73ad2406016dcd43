import nodemailer, { type Transporter } from 'nodemailer'
import type { Database } from '../db/connection'
import type { Executor } from '../data/frameworks'
import { OutboxData, type OutboxRecord } from '../data/outbox'
import type { Logger } from '../logger'

export interface Mail {
  to: string
  subject: string
  text: string
  /** The ICS the mail belongs to, so its ICS lead can read it in the outbox. */
  icsId: number | null
}

export type DeliveryState = 'sent' | 'held' | 'retrying' | 'failed'

export type OutboxMessage = Omit<OutboxRecord, 'icsId'> & {
  /** Sent; held (no mail server, or not tried yet); failed and to be tried again; failed for good. */
  state: DeliveryState
}

/** A message as the outbox's list shows it: without its text. */
export type OutboxSummary = Omit<OutboxMessage, 'text'>

function toMessage(record: OutboxRecord): OutboxMessage
function toMessage(record: Omit<OutboxRecord, 'text'>): OutboxSummary
function toMessage(record: Omit<OutboxRecord, 'text'> & { text?: string }): OutboxSummary & { text?: string } {
  const state: DeliveryState = record.sentAt ? 'sent' : record.failedAt ? 'failed' : record.attempts > 0 ? 'retrying' : 'held'
  // Field by field rather than by spreading: a list maps fifty at a time.
  const message: OutboxSummary & { text?: string } = {
    id: record.id,
    to: record.to,
    subject: record.subject,
    createdAt: record.createdAt,
    sentAt: record.sentAt,
    lastError: record.lastError,
    attempts: record.attempts,
    nextAttemptAt: record.nextAttemptAt,
    failedAt: record.failedAt,
    state,
  }
  if (record.text !== undefined) message.text = record.text
  return message
}

const minuteMs = 60 * 1000

/**
 * How long to wait before trying a failed delivery again, after the 1st, 2nd ... failure. After
 * the last of these, one more failure marks the mail failed for good.
 */
export const retryDelaysMs = [1 * minuteMs, 5 * minuteMs, 30 * minuteMs, 2 * 60 * minuteMs]
export const maxDeliveryAttempts = retryDelaysMs.length + 1

/** A mail not yet tried this long after it was written was lost between its transaction and its delivery (a crash): the retry job sends it. */
const orphanAfterMs = 2 * minuteMs

/** How long a retry job's claim on a mail keeps another instance from sending it too. */
const claimMs = 5 * minuteMs

/**
 * Every mail is written to the outbox first. With SMTP_URL set it is then delivered and
 * marked sent; without it, it stays in the outbox, where an ICS lead can read it (so the
 * demo works with no mail server).
 */
export class Mailer {
  private readonly transport: Transporter | undefined
  private readonly outbox: OutboxData

  constructor(
    private readonly db: Database,
    smtpUrl: string | undefined,
    private readonly from: string,
    private readonly logger: Logger,
    private readonly clock: () => Date,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined
    this.outbox = new OutboxData(db)
  }

  async send(mail: Mail): Promise<void> {
    const [id] = await this.enqueue([mail], this.db)
    await this.deliver([id!])
  }

  /**
   * Writes mails to the outbox as part of the caller's transaction, so that they exist exactly
   * when the change they tell of does. Deliver them (deliver()) once the transaction has committed.
   */
  async enqueue(mails: Mail[], executor: Executor): Promise<number[]> {
    return this.outbox.insert(mails, this.clock(), executor)
  }

  /** Sends outbox messages over SMTP, when it is configured, and marks each sent or why not. */
  async deliver(ids: number[]): Promise<void> {
    if (!this.transport || ids.length === 0) return
    for (const mail of await this.outbox.undelivered(ids)) if (await this.claim(mail)) await this.attempt(mail)
  }

  /**
   * Takes a mail for one delivery attempt, so that of a process delivering what it just wrote
   * and another instance's retry job only one sends it.
   */
  private claim(mail: OutboxRecord): Promise<boolean> {
    return this.outbox.claim(mail, new Date(this.clock().getTime() + claimMs))
  }

  /**
   * One delivery attempt. A failure is recorded with its reason and the time of the next try
   * (back-off: retryDelaysMs); after maxDeliveryAttempts the mail is marked failed, for the
   * ICS lead to see, and not tried again.
   */
  private async attempt(mail: OutboxRecord): Promise<boolean> {
    try {
      await this.transport!.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text })
      await this.outbox.markSent(mail.id, mail.attempts + 1, this.clock())
      return true
    } catch (error) {
      const attempts = mail.attempts + 1
      const now = this.clock()
      const giveUp = attempts >= maxDeliveryAttempts
      this.logger.error({ err: error, outboxId: mail.id, attempts, failed: giveUp }, 'Mail delivery failed')
      // The mail stays in the outbox with the reason, so nothing is silently lost.
      await this.outbox.markFailedAttempt(mail.id, {
        attempts,
        lastError: (error as Error).message.slice(0, 1000),
        nextAttemptAt: giveUp ? null : new Date(now.getTime() + retryDelaysMs[attempts - 1]!),
        failedAt: giveUp ? now : null,
      })
      return false
    }
  }

  /**
   * The retry job: tries again every mail whose next attempt is due, and every mail that was
   * never tried because its process stopped between writing and sending it. Each is claimed
   * first by a conditional update, so two instances running the job never send one mail twice.
   */
  async retryDue(limit = 200): Promise<{ sent: number; failed: number }> {
    if (!this.transport) return { sent: 0, failed: 0 }
    const now = this.clock()
    let sent = 0
    let failed = 0
    for (const mail of await this.outbox.due(now, new Date(now.getTime() - orphanAfterMs), limit)) {
      if (!(await this.claim(mail))) continue
      if (await this.attempt(mail)) sent++
      else failed++
    }
    return { sent, failed }
  }

  /** How many of an ICS's mails failed for good, for the ICS lead's attention. */
  failedCount(icsIds: number[]): Promise<number> {
    return this.outbox.failedCount(icsIds)
  }

  /** Whether every one of these mails has gone over SMTP. */
  allSent(ids: number[]): Promise<boolean> {
    return this.outbox.allSent(ids)
  }

  async listForIcs(
    icsIds: number[],
    page: number,
    pageSize: number,
    filter: { failedOnly?: boolean } = {},
  ): Promise<{ messages: OutboxSummary[]; total: number; failedCount: number }> {
    const { mails, total, failed } = await this.outbox.listForIcs(icsIds, page, pageSize, filter)
    return { messages: mails.map(toMessage), total, failedCount: failed }
  }

  async findForIcs(id: number, icsIds: number[]): Promise<OutboxMessage | undefined> {
    const mail = await this.outbox.findForIcs(id, icsIds)
    return mail && toMessage(mail)
  }

  close(): void {
    this.transport?.close()
  }
}
