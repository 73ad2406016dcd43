import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'
import { idParams, idsOf, shapedReads } from './shapedReads'

// The outbox's list, compiled once per shape (see shapedReads).
const countReads = shapedReads<{ n: unknown; failed: unknown }>(20)
const pageReads = shapedReads<Omit<OutboxRow, 'text_body'>>(200)

/** A mail as written to the outbox: where it goes, what it says, and how its delivery stands. */
export interface OutboxRecord {
  id: number
  icsId: number | null
  to: string
  subject: string
  text: string
  createdAt: Date
  sentAt: Date | null
  lastError: string | null
  attempts: number
  nextAttemptAt: Date | null
  failedAt: Date | null
}

interface OutboxRow {
  id: number
  ics_id: number | null
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

/** Every column but the text, for lists. */
const summaryColumns = ['id', 'ics_id', 'to_address', 'subject', 'created_at', 'sent_at', 'last_error', 'attempts', 'next_attempt_at', 'failed_at']

function toRecord(row: OutboxRow): OutboxRecord {
  return { ...toSummary(row), text: row.text_body }
}

/** A mail as a list shows it, without its text: built field by field, as a list maps fifty at a time. */
function toSummary(row: Omit<OutboxRow, 'text_body'>): Omit<OutboxRecord, 'text'> {
  return {
    id: row.id,
    icsId: row.ics_id,
    to: row.to_address,
    subject: row.subject,
    createdAt: toDate(row.created_at),
    sentAt: toDateOrNull(row.sent_at),
    lastError: row.last_error,
    attempts: row.attempts,
    nextAttemptAt: toDateOrNull(row.next_attempt_at),
    failedAt: toDateOrNull(row.failed_at),
  }
}

/** The outbox: every mail PlaceReady sends, written before it goes, with each delivery attempt's outcome. */
export class OutboxData {
  constructor(private readonly db: Database) {}

  /** Writes mails, in batches (SQLite allows a limited number of values in one statement); their ids in the same order. */
  async insert(
    mails: Array<{ icsId: number | null; to: string; subject: string; text: string }>,
    createdAt: Date,
    executor: Executor = this.db,
  ): Promise<number[]> {
    const ids: number[] = []
    for (let i = 0; i < mails.length; i += 500) {
      const rows = (await executor('outbox').insert(
        mails.slice(i, i + 500).map((mail) => ({
          ics_id: mail.icsId,
          to_address: mail.to,
          subject: mail.subject,
          text_body: mail.text,
          created_at: timestamp(createdAt),
        })),
        ['id'],
      )) as Array<{ id: number }>
      ids.push(...rows.map((row) => row.id))
    }
    return ids
  }

  /** Those of these mails that are neither sent nor failed for good, oldest first. */
  async undelivered(ids: number[]): Promise<OutboxRecord[]> {
    const records: OutboxRecord[] = []
    for (let i = 0; i < ids.length; i += 500) {
      const rows = (await this.db('outbox')
        .whereIn('id', ids.slice(i, i + 500))
        .whereNull('sent_at')
        .whereNull('failed_at')
        .orderBy('id')
        .select()) as OutboxRow[]
      records.push(...rows.map(toRecord))
    }
    return records
  }

  /**
   * Mails due another try (their next attempt has come), and mails never tried that were
   * written before `orphanedBefore` (their process stopped between writing and sending them).
   */
  async due(now: Date, orphanedBefore: Date, limit: number): Promise<OutboxRecord[]> {
    const rows = (await this.db('outbox')
      .whereNull('sent_at')
      .whereNull('failed_at')
      .where((q) => {
        q.where('next_attempt_at', '<=', timestamp(now)).orWhere((orphan) => {
          orphan.whereNull('next_attempt_at').where('attempts', 0).where('created_at', '<=', timestamp(orphanedBefore))
        })
      })
      .orderBy('id')
      .limit(limit)
      .select()) as OutboxRow[]
    return rows.map(toRecord)
  }

  /**
   * Takes a mail for one delivery attempt until `until`, by a conditional update on the state it
   * was read in: false if another process took it, sent it or gave up on it first.
   */
  async claim(mail: OutboxRecord, until: Date): Promise<boolean> {
    const claimed = await this.db('outbox')
      .where({ id: mail.id, attempts: mail.attempts })
      .whereNull('sent_at')
      .whereNull('failed_at')
      .where((q) => {
        if (mail.nextAttemptAt === null) q.whereNull('next_attempt_at')
        else q.where('next_attempt_at', timestamp(mail.nextAttemptAt))
      })
      .update({ next_attempt_at: timestamp(until) })
    return claimed === 1
  }

  async markSent(id: number, attempts: number, at: Date): Promise<void> {
    await this.db('outbox')
      .where({ id })
      .update({ sent_at: timestamp(at), last_error: null, next_attempt_at: null, attempts })
  }

  /** A failed attempt: why, and when to try again (null: never, the mail failed for good at `failedAt`). */
  async markFailedAttempt(
    id: number,
    outcome: { attempts: number; lastError: string; nextAttemptAt: Date | null; failedAt: Date | null },
  ): Promise<void> {
    await this.db('outbox')
      .where({ id })
      .update({
        attempts: outcome.attempts,
        last_error: outcome.lastError,
        next_attempt_at: outcome.nextAttemptAt && timestamp(outcome.nextAttemptAt),
        failed_at: outcome.failedAt && timestamp(outcome.failedAt),
      })
  }

  /** Whether every one of these mails has been sent. */
  async allSent(ids: number[]): Promise<boolean> {
    if (ids.length === 0) return true
    const row = (await this.db('outbox').whereIn('id', ids).whereNull('sent_at').count({ n: '*' }).first()) as { n: unknown } | undefined
    return Number(row?.n ?? 0) === 0
  }

  async failedCount(icsIds: number[]): Promise<number> {
    const row = (await this.db('outbox').whereIn('ics_id', icsIds).whereNotNull('failed_at').count({ n: '*' }).first()) as
      { n: unknown } | undefined
    return Number(row?.n ?? 0)
  }

  /**
   * A page of an ICS's mails, newest first, without their text (the list does not show it), with
   * how many there are and how many failed for good, counted together.
   */
  async listForIcs(
    icsIds: number[],
    page: number,
    pageSize: number,
    filter: { failedOnly?: boolean } = {},
  ): Promise<{ mails: Array<Omit<OutboxRecord, 'text'>>; total: number; failed: number }> {
    const params = idParams('ics', icsIds)
    const countRead = countReads(params, '', (db, params) => db('outbox').whereIn('ics_id', idsOf('ics', params)).first(db.raw('count(*) as n, count(failed_at) as failed')))
    const pageRead = pageReads(params, `${filter.failedOnly ? 'failed' : 'all'}:${page}:${pageSize}`, (db, params) => {
      const query = db('outbox').whereIn('ics_id', idsOf('ics', params))
      if (filter.failedOnly) query.whereNotNull('failed_at')
      return query
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ])
        .limit(pageSize)
        .offset((page - 1) * pageSize)
        .select(summaryColumns)
    })
    const [counts] = await countRead(this.db, params)
    const rows = await pageRead(this.db, params)
    const failed = Number(counts?.failed ?? 0)
    return {
      mails: rows.map(toSummary),
      total: filter.failedOnly ? failed : Number(counts?.n ?? 0),
      failed,
    }
  }

  async findForIcs(id: number, icsIds: number[]): Promise<OutboxRecord | undefined> {
    const row = (await this.db('outbox').where({ id }).whereIn('ics_id', icsIds).first()) as OutboxRow | undefined
    return row && toRecord(row)
  }
}
