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

export interface OutboxMessage {
  id: number
  to: string
  subject: string
  text: string
  createdAt: Date
  sentAt: Date | null
  lastError: string | null
}

interface OutboxRow {
  id: number
  to_address: string
  subject: string
  text_body: string
  created_at: unknown
  sent_at: unknown
  last_error: string | null
}

function toMessage(row: OutboxRow): OutboxMessage {
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    createdAt: toDate(row.created_at),
    sentAt: toDateOrNull(row.sent_at),
    lastError: row.last_error,
  }
}

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
    if (mails.length === 0) return []
    const rows = (await executor('outbox').insert(
      mails.map((mail) => ({
        ics_id: mail.icsId,
        to_address: mail.to,
        subject: mail.subject,
        text_body: mail.text,
        created_at: timestamp(this.clock()),
      })),
      ['id'],
    )) as Array<{ id: number }>
    return rows.map((row) => row.id)
  }

  /** Sends outbox messages over SMTP, when it is configured, and marks each sent or why not. */
  async deliver(ids: number[]): Promise<void> {
    if (!this.transport || ids.length === 0) return
    const rows = (await this.db('outbox').whereIn('id', ids).whereNull('sent_at').orderBy('id').select()) as OutboxRow[]
    for (const row of rows) {
      try {
        await this.transport.sendMail({ from: this.from, to: row.to_address, subject: row.subject, text: row.text_body })
        await this.db('outbox')
          .where({ id: row.id })
          .update({ sent_at: timestamp(this.clock()), last_error: null })
      } catch (error) {
        // The mail stays in the outbox with the reason, so nothing is silently lost.
        this.logger.error({ err: error, outboxId: row.id }, 'Mail delivery failed')
        await this.db('outbox')
          .where({ id: row.id })
          .update({ last_error: (error as Error).message.slice(0, 1000) })
      }
    }
  }

  async listForIcs(icsIds: number[], page: number, pageSize: number): Promise<{ messages: OutboxMessage[]; total: number }> {
    const query = this.db('outbox').whereIn('ics_id', icsIds)
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
