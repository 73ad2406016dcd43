import type { Database } from '../db/connection'
import { timestamp, toDate, toDateOrNull } from '../db/values'
import type { Directory, ImportCounts, ImportProblem } from '../imports/partnersCsv'
import { nameKey, organisationKey } from '../imports/partnersCsv'
import type { Executor } from './frameworks'

export type ImportStatus = 'checking' | 'checked' | 'invalid' | 'importing' | 'imported' | 'failed' | 'cancelled'

export interface ImportJob {
  id: number
  icsId: number
  createdBy: number | null
  createdByName: string | null
  /** Who confirmed the import (not always who uploaded the file), and from what address. */
  confirmedBy: number | null
  confirmedByName: string | null
  confirmedIp: string | null
  filename: string
  status: ImportStatus
  totalRows: number
  processedRows: number
  counts: ImportCounts | null
  problemCount: number
  error: string | null
  worker: string | null
  heartbeatAt: Date | null
  createdAt: Date
  updatedAt: Date
  finishedAt: Date | null
}

interface ImportJobRow {
  id: number
  ics_id: number
  created_by: number | null
  created_by_name?: string | null
  confirmed_by: number | null
  confirmed_by_name?: string | null
  confirmed_ip: string | null
  filename: string
  status: ImportStatus
  total_rows: number
  processed_rows: number
  counts: string | null
  problem_count: number
  error: string | null
  worker: string | null
  heartbeat_at: unknown
  created_at: unknown
  updated_at: unknown
  finished_at: unknown
}

const jobColumns = [
  'j.id',
  'j.ics_id',
  'j.created_by',
  'u.name as created_by_name',
  'j.confirmed_by',
  'c.name as confirmed_by_name',
  'j.confirmed_ip',
  'j.filename',
  'j.status',
  'j.total_rows',
  'j.processed_rows',
  'j.counts',
  'j.problem_count',
  'j.error',
  'j.worker',
  'j.heartbeat_at',
  'j.created_at',
  'j.updated_at',
  'j.finished_at',
]

function toJob(row: ImportJobRow): ImportJob {
  return {
    id: row.id,
    icsId: row.ics_id,
    createdBy: row.created_by,
    createdByName: row.created_by_name ?? null,
    confirmedBy: row.confirmed_by,
    confirmedByName: row.confirmed_by_name ?? null,
    confirmedIp: row.confirmed_ip,
    filename: row.filename,
    status: row.status,
    totalRows: row.total_rows,
    processedRows: row.processed_rows,
    counts: row.counts ? (JSON.parse(row.counts) as ImportCounts) : null,
    problemCount: row.problem_count,
    error: row.error,
    worker: row.worker,
    heartbeatAt: toDateOrNull(row.heartbeat_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    finishedAt: toDateOrNull(row.finished_at),
  }
}

/**
 * CSV import jobs, in the database so that any instance can show one's progress and pick up one
 * whose worker stopped; and the directory of what an ICS already has, for the checks.
 */
export class ImportData {
  constructor(private readonly db: Database) {}

  async create(job: { icsId: number; createdBy: number; filename: string; bytes: Buffer }, now: Date): Promise<number> {
    const [row] = (await this.db('import_jobs').insert(
      {
        ics_id: job.icsId,
        created_by: job.createdBy,
        filename: job.filename,
        status: 'checking',
        // Kept as the bytes uploaded (base64), so that a file that is not UTF-8 can be reported as such.
        content: job.bytes.toString('base64'),
        created_at: timestamp(now),
        updated_at: timestamp(now),
      },
      ['id'],
    )) as Array<{ id: number }>
    return row!.id
  }

  async find(id: number): Promise<ImportJob | undefined> {
    const row = (await this.db('import_jobs as j')
      .leftJoin('users as u', 'u.id', 'j.created_by')
      .leftJoin('users as c', 'c.id', 'j.confirmed_by')
      .where('j.id', id)
      .first(jobColumns)) as
      | ImportJobRow
      | undefined
    return row && toJob(row)
  }

  async recent(icsId: number, limit = 20): Promise<ImportJob[]> {
    const rows = (await this.db('import_jobs as j')
      .leftJoin('users as u', 'u.id', 'j.created_by')
      .leftJoin('users as c', 'c.id', 'j.confirmed_by')
      .where('j.ics_id', icsId)
      .orderBy([
        { column: 'j.created_at', order: 'desc' },
        { column: 'j.id', order: 'desc' },
      ])
      .limit(limit)
      .select(jobColumns)) as ImportJobRow[]
    return rows.map(toJob)
  }

  async content(id: number, executor: Executor = this.db): Promise<Buffer> {
    const row = (await executor('import_jobs').where({ id }).first('content')) as { content: string }
    return Buffer.from(row.content, 'base64')
  }

  async problems(id: number): Promise<ImportProblem[]> {
    const row = (await this.db('import_jobs').where({ id }).first('problems')) as { problems: string | null } | undefined
    return row?.problems ? (JSON.parse(row.problems) as ImportProblem[]) : []
  }

  /**
   * Takes the job for this worker, if it is in one of `statuses` and nobody else is working on
   * it (no worker, or one silent since `staleBefore`): one conditional update, so two instances
   * never work on one job.
   */
  async claim(id: number, worker: string, statuses: ImportStatus[], staleBefore: Date, now: Date): Promise<boolean> {
    const updated = await this.db('import_jobs')
      .where({ id })
      .whereIn('status', statuses)
      .where((q) => {
        q.whereNull('worker').orWhereNull('heartbeat_at').orWhere('heartbeat_at', '<', timestamp(staleBefore))
      })
      .update({ worker, heartbeat_at: timestamp(now), updated_at: timestamp(now) })
    return updated === 1
  }

  /** Progress of the worker holding the job; false when it no longer holds it. */
  async progress(id: number, worker: string, values: { totalRows?: number; processedRows: number }, now: Date): Promise<boolean> {
    const updated = await this.db('import_jobs')
      .where({ id, worker })
      .update({
        ...(values.totalRows === undefined ? {} : { total_rows: values.totalRows }),
        processed_rows: values.processedRows,
        heartbeat_at: timestamp(now),
        updated_at: timestamp(now),
      })
    return updated === 1
  }

  /** Moves the job on from one status to another (only from that one), releasing its worker. */
  async transition(
    id: number,
    from: ImportStatus[],
    to: ImportStatus,
    values: {
      counts?: ImportCounts
      problems?: ImportProblem[]
      error?: string | null
      processedRows?: number
      worker?: string
      confirmed?: { by: number; ip: string | null }
    },
    now: Date,
    executor: Executor = this.db,
  ): Promise<boolean> {
    const query = executor('import_jobs').where({ id }).whereIn('status', from)
    if (values.worker !== undefined) query.where('worker', values.worker)
    const finished = to === 'imported' || to === 'failed' || to === 'cancelled'
    const updated = await query.update({
      status: to,
      worker: null,
      heartbeat_at: null,
      updated_at: timestamp(now),
      ...(values.counts ? { counts: JSON.stringify(values.counts) } : {}),
      ...(values.problems ? { problems: JSON.stringify(values.problems), problem_count: values.problems.length } : {}),
      ...(values.error !== undefined ? { error: values.error } : {}),
      ...(values.processedRows !== undefined ? { processed_rows: values.processedRows } : {}),
      ...(values.confirmed ? { confirmed_by: values.confirmed.by, confirmed_ip: values.confirmed.ip } : {}),
      ...(finished ? { finished_at: timestamp(now) } : {}),
    })
    return updated === 1
  }

  /** Everything the checks compare a file with: the ICS's places, organisations and contacts, in three queries. */
  async directory(icsId: number, now: Date, invitationLifetimeMs: number, executor: Executor = this.db): Promise<Directory> {
    const places = (await executor('places').where({ ics_id: icsId }).select('id', 'name', 'retired_at')) as Array<{
      id: number
      name: string
      retired_at: unknown
    }>
    const organisations = (await executor('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .where('p.ics_id', icsId)
      .select('o.id', 'o.name', 'o.kind', 'o.retired_at', 'p.name as place_name')) as Array<{
      id: number
      name: string
      kind: string
      retired_at: unknown
      place_name: string
    }>
    const invited = executor('invitations as n')
      .where('n.ics_id', icsId)
      .where('n.role', 'partner')
      .whereNotNull('n.organisation_id')
      .whereNull('n.accepted_at')
      .whereNull('n.revoked_at')
      .where('n.last_sent_at', '>', timestamp(new Date(now.getTime() - invitationLifetimeMs)))
      .select('n.organisation_id', 'n.email')
    const members = executor('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .where('m.ics_id', icsId)
      .where('m.role', 'partner')
      .whereNotNull('m.organisation_id')
      .select('m.organisation_id', 'u.email')
    const contacts = (await invited.unionAll(members)) as Array<{ organisation_id: number; email: string }>
    return {
      places: new Map(places.map((p) => [nameKey(p.name), { id: p.id, name: p.name, retired: p.retired_at !== null && p.retired_at !== undefined }])),
      organisations: new Map(
        organisations.map((o) => [
          organisationKey(o.place_name, o.name),
          {
            id: o.id,
            name: o.name,
            kind: o.kind,
            retired: o.retired_at !== null && o.retired_at !== undefined,
          },
        ]),
      ),
      contacts: new Set(contacts.map((c) => `${c.organisation_id}\u0000${c.email.toLowerCase()}`)),
    }
  }
}
