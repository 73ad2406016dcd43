import nodemailer, { type Transporter } from 'nodemailer'
import type { Database } from '../db/connection'
import type { Executor } from '../data/frameworks'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import type { Logger } from '../logger'

export interface Mail {
  to: string
  subject: string
  text: string
  /** The ICS the mail belongs to, so its ICS lead can read it in the outbox. */
  icsId: number | null
}

export type DeliveryState = 'sent' | 'held' | 'retrying' | 'failed'

export interface OutboxMessage {
  id: number
  to: string
  subject: string
  text: string
  createdAt: Date
  sentAt: Date | null
  lastError: string | null
  attempts: number
  nextAttemptAt: Date | null
  failedAt: Date | null
  /** Sent; held (no mail server, or not tried yet); failed and to be tried again; failed for good. */
  state: DeliveryState
}

interface OutboxRow {
  id: number
  to_address: string
  subject: string
  text_body: string
  created_at: unknown
  sent_at: unknown
  last_error: string | null
  attempts: number
  next_attempt_at: unknown
  failed_at: unknown
}

function toMessage(row: OutboxRow): OutboxMessage {
  const sentAt = toDateOrNull(row.sent_at)
  const failedAt = toDateOrNull(row.failed_at)
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    createdAt: toDate(row.created_at),
    sentAt,
    lastError: row.last_error,
    attempts: row.attempts,
    nextAttemptAt: toDateOrNull(row.next_attempt_at),
    failedAt,
    state: sentAt ? 'sent' : failedAt ? 'failed' : row.attempts > 0 ? 'retrying' : 'held',
  }
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

  constructor(
    private readonly db: Database,
    smtpUrl: string | undefined,
    private readonly from: string,
    private readonly logger: Logger,
    private readonly clock: () => Date,
  ) {
    this.transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : undefined
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
    const ids: number[] = []
    const createdAt = timestamp(this.clock())
    // In batches: SQLite allows a limited number of values in one statement.
    for (let i = 0; i < mails.length; i += 500) {
      const rows = (await executor('outbox').insert(
        mails.slice(i, i + 500).map((mail) => ({
          ics_id: mail.icsId,
          to_address: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          created_at: createdAt,
        })),
        ['id'],
      )) as Array<{ id: number }>
      ids.push(...rows.map((row) => row.id))
    }
    return ids
  }

  /** Sends outbox messages over SMTP, when it is configured, and marks each sent or why not. */
  async deliver(ids: number[]): Promise<void> {
    if (!this.transport || ids.length === 0) return
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await this.db('outbox')
        .whereIn('id', ids.slice(i, i + 500))
        .whereNull('sent_at')
        .whereNull('failed_at')
        .orderBy('id')
        .select()) as OutboxRow[]
      for (const row of rows) if (await this.claim(row)) await this.attempt(row)
    }
  }

  /**
   * Takes a mail for one delivery attempt by a conditional update, so that of a process
   * delivering what it just wrote and another instance's retry job only one sends it.
   */
  private async claim(row: OutboxRow): Promise<boolean> {
    const claimed = await this.db('outbox')
      .where({ id: row.id, attempts: row.attempts })
      .whereNull('sent_at')
      .whereNull('failed_at')
      .where((q) =>
        row.next_attempt_at === null ? q.whereNull('next_attempt_at') : q.where('next_attempt_at', row.next_attempt_at as string),
      )
      .update({ next_attempt_at: timestamp(new Date(this.clock().getTime() + claimMs)) })
    return claimed === 1
  }

  /**
   * One delivery attempt. A failure is recorded with its reason and the time of the next try
   * (back-off: retryDelaysMs); after maxDeliveryAttempts the mail is marked failed, for the
   * ICS lead to see, and not tried again.
   */
  private async attempt(row: OutboxRow): Promise<boolean> {
    try {
      await this.transport!.sendMail({ from: this.from, to: row.to_address, subject: row.subject, text: row.text_body })
      await this.db('outbox')
        .where({ id: row.id })
        .update({ sent_at: timestamp(this.clock()), last_error: null, next_attempt_at: null, attempts: row.attempts + 1 })
      return true
    } catch (error) {
      const attempts = row.attempts + 1
      const now = this.clock()
      const giveUp = attempts >= maxDeliveryAttempts
      this.logger.error({ err: error, outboxId: row.id, attempts, failed: giveUp }, 'Mail delivery failed')
      // The mail stays in the outbox with the reason, so nothing is silently lost.
      await this.db('outbox')
        .where({ id: row.id })
        .update({
          attempts,
          last_error: (error as Error).message.slice(0, 1000),
          next_attempt_at: giveUp ? null : timestamp(new Date(now.getTime() + retryDelaysMs[attempts - 1]!)),
          failed_at: giveUp ? timestamp(now) : null,
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
    const rows = (await this.db('outbox')
      .whereNull('sent_at')
      .whereNull('failed_at')
      .where((q) =>
        q.where('next_attempt_at', '<=', timestamp(now)).orWhere((orphan) =>
          orphan
            .whereNull('next_attempt_at')
            .where('attempts', 0)
            .where('created_at', '<=', timestamp(new Date(now.getTime() - orphanAfterMs))),
        ),
      )
      .orderBy('id')
      .limit(limit)
      .select()) as OutboxRow[]
    let sent = 0
    let failed = 0
    for (const row of rows) {
      if (!(await this.claim(row))) continue
      if (await this.attempt(row)) sent++
      else failed++
    }
    return { sent, failed }
  }

  /** How many of an ICS's mails failed for good, for the ICS lead's attention. */
  async failedCount(icsIds: number[]): Promise<number> {
    const row = (await this.db('outbox').whereIn('ics_id', icsIds).whereNotNull('failed_at').count({ n: '*' }).first()) as
      { n: unknown } | undefined
    return Number(row?.n ?? 0)
  }

  async listForIcs(
    icsIds: number[],
    page: number,
    pageSize: number,
    filter: { failedOnly?: boolean } = {},
  ): Promise<{ messages: OutboxMessage[]; total: number }> {
    const query = this.db('outbox').whereIn('ics_id', icsIds)
    if (filter.failedOnly) query.whereNotNull('failed_at')
    const countRow = (await query.clone().count({ n: '*' }).first()) as { n: unknown } | undefined
    const rows = (await query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .select()) as OutboxRow[]
    return { messages: rows.map(toMessage), total: Number(countRow?.n ?? 0) }
  }

  async findForIcs(id: number, icsIds: number[]): Promise<OutboxMessage | undefined> {
    const row = (await this.db('outbox').where({ id }).whereIn('ics_id', icsIds).first()) as OutboxRow | undefined
    return row && toMessage(row)
  }

  close(): void {
    this.transport?.close()
  }
}
