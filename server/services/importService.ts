import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { isIcsLead } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import type { Database } from '../db/connection'
import { ImportData, type ImportJob, type ImportStatus } from '../data/imports'
import { PlaceData } from '../data/places'
import { NotFoundError, ValidationError } from '../errors'
import { readCsv, type CsvRecord } from '../imports/csvText'
import {
  PartnerImportChecker,
  checkHeader,
  importColumns,
  maxImportRows,
  nameKey,
  problemsColumn,
  sortProblems,
  type Directory,
  type ImportCounts,
  type ImportPlan,
  type ImportProblem,
} from '../imports/partnersCsv'
import type { Logger } from '../logger'
import type { AuditService } from './auditService'
import { invitationLifetimeMs, type InvitationService } from './invitationService'
import type { Mailer } from './mailer'

/** The largest file an import takes: 10,000 rows of a long line each, with room to spare. */
export const maxImportBytes = 5 * 1024 * 1024

/** Rows checked between two progress reports (and pauses that let the process serve other requests). */
const chunkSize = 500

/** A job whose worker has said nothing for this long is taken over by whoever next looks at it. */
export const staleAfterMs = 30_000

export interface ImportProgress {
  job: ImportJob
  /** Still being checked or imported: the page refreshes until it is done. */
  working: boolean
  /** How far the check has got; null while importing (one transaction, too quick to count). */
  percent: number | null
}

/**
 * CSV imports of places, partner organisations and contacts: upload, check (every problem by
 * line and column), preview, confirm, and import in one transaction (all or nothing), the
 * contacts becoming invitations. Checking and importing run as a job recorded in the database:
 * the instance that received the upload starts it at once and reports its progress there, so a
 * page on any instance can follow it; a job whose worker died is taken over by the next page
 * that looks at it.
 */
export class ImportService {
  private readonly data: ImportData
  private readonly places: PlaceData
  private readonly worker = `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
  /** Jobs this process is working on, so tests and shutdown can wait for them. */
  private readonly running = new Map<number, Promise<void>>()

  constructor(
    private readonly db: Database,
    private readonly invitations: InvitationService,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {
    this.data = new ImportData(db)
    this.places = new PlaceData(db)
  }

  private requireLead(user: CurrentUser, icsId: number): void {
    if (!isIcsLead(user, icsId)) throw new NotFoundError()
  }

  /** Takes an uploaded file and starts checking it; the job's id leads to its page. */
  async start({ user }: Actor, icsId: number, filename: string, bytes: Buffer): Promise<number> {
    this.requireLead(user, icsId)
    if (bytes.length === 0) throw new ValidationError([{ text: 'Choose a CSV file, or paste its rows, to import', href: '#file' }])
    if (bytes.length > maxImportBytes) throw new ValidationError([{ text: 'The file must be smaller than 5 MB', href: '#file' }])
    const id = await this.data.create({ icsId, createdBy: user.id, filename: filename.slice(0, 255) || 'pasted rows', bytes }, this.clock())
    this.work(id)
    return id
  }

  /** The job, if the user leads its ICS; a job left without a worker is picked up here. */
  async progress(user: CurrentUser, id: number): Promise<ImportProgress> {
    const job = await this.data.find(id)
    if (!job) throw new NotFoundError()
    this.requireLead(user, job.icsId)
    const working = job.status === 'checking' || job.status === 'importing'
    if (working && !this.running.has(id) && (!job.heartbeatAt || job.heartbeatAt.getTime() < this.clock().getTime() - staleAfterMs))
      this.work(id)
    const percent =
      job.status === 'checking'
        ? job.totalRows > 0
          ? Math.floor((job.processedRows / job.totalRows) * 100)
          : 0
        : job.status === 'importing'
          ? null
          : 100
    return { job, working, percent }
  }

  async recent(user: CurrentUser, icsId: number): Promise<ImportJob[]> {
    this.requireLead(user, icsId)
    return this.data.recent(icsId)
  }

  /** Every problem found, in file order. */
  async problems(user: CurrentUser, id: number): Promise<ImportProblem[]> {
    await this.progress(user, id)
    return this.data.problems(id)
  }

  /**
   * The rows that have problems, as they were in the file, each with its problems in a last
   * column, to fix and upload again (the import ignores that column).
   */
  async problemRows(user: CurrentUser, id: number): Promise<{ header: string[]; rows: string[][] }> {
    const problems = await this.problems(user, id)
    const byLine = new Map<number, string[]>()
    for (const p of problems) byLine.set(p.line, [...(byLine.get(p.line) ?? []), `${p.column ? `${p.column}: ` : ''}${p.message}`])
    const { records } = readCsv(await this.data.content(id))
    const rows = records
      .filter((r) => r.line > 1 && byLine.has(r.line))
      .map((r) => [...importColumns.map((_, i) => r.cells[i] ?? ''), `Line ${r.line}: ${byLine.get(r.line)!.join('; ')}`])
    const wholeFile = problems.filter((p) => p.line === 1 || !records.some((r) => r.line === p.line && r.line > 1))
    for (const p of wholeFile) rows.unshift([...importColumns.map(() => ''), `Line ${p.line}: ${p.message}`])
    return { header: [...importColumns, problemsColumn], rows }
  }

  /** What a clean file would add: for the preview. */
  async plan(user: CurrentUser, id: number): Promise<ImportPlan> {
    const { job } = await this.progress(user, id)
    if (job.status !== 'checked') return { places: [], organisations: [], contacts: [] }
    const checked = this.check(await this.data.content(id), await this.directory(job.icsId))
    return checked.plan
  }

  /**
   * Imports a checked file with no problems, for the person confirming it: the job keeps who and
   * from where, for the audit events of whichever instance runs it.
   */
  async confirm(actor: Actor, id: number): Promise<void> {
    const { job } = await this.progress(actor.user, id)
    if (job.status !== 'checked' || job.problemCount > 0) {
      throw new ValidationError([{ text: 'Only a checked file with no problems can be imported', href: '#confirm' }])
    }
    const confirmed = { by: actor.user.id, ip: actor.ip ?? null }
    await this.data.transition(id, ['checked'], 'importing', { processedRows: 0, confirmed }, this.clock())
    this.work(id)
  }

  async cancel({ user }: Actor, id: number): Promise<void> {
    await this.progress(user, id)
    await this.data.transition(id, ['checked', 'invalid'], 'cancelled', {}, this.clock())
  }

  /** Resolves once this process has finished the jobs it is working on. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()])
  }

  /** Works on a job in the background of this process, if it can take it. */
  private work(id: number): void {
    if (this.running.has(id)) return
    const done = this.run(id)
      .catch((error: unknown) => this.logger.error({ err: error, importId: id }, 'Import job failed'))
      .finally(() => this.running.delete(id))
    this.running.set(id, done)
  }

  private async run(id: number): Promise<void> {
    const now = this.clock()
    if (!(await this.data.claim(id, this.worker, ['checking', 'importing'], new Date(now.getTime() - staleAfterMs), now))) return
    const job = (await this.data.find(id))!
    try {
      if (job.status === 'checking') await this.runCheck(job)
      else if (job.status === 'importing') await this.runImport(job)
    } catch (error) {
      await this.data.transition(
        id,
        ['checking', 'importing'],
        'failed',
        { error: 'Something went wrong, so nothing was imported. Try again.', worker: this.worker },
        this.clock(),
      )
      throw error
    }
  }

  private async directory(icsId: number): Promise<Directory> {
    return this.data.directory(icsId, this.clock(), invitationLifetimeMs)
  }

  /** Checks a whole file at once (the import's final check, inside its transaction). */
  private check(bytes: Buffer, directory: Directory): { problems: ImportProblem[]; plan: ImportPlan; counts: ImportCounts } {
    const { checker, records, problems } = this.begin(bytes, directory)
    checker.check(records)
    return { problems: sortProblems([...problems, ...checker.problems]), plan: checker.plan, counts: checker.counts() }
  }

  private begin(bytes: Buffer, directory: Directory): { checker: PartnerImportChecker; records: CsvRecord[]; problems: ImportProblem[] } {
    const read = readCsv(bytes)
    const [header, ...records] = read.records
    const problems: ImportProblem[] = [...checkHeader(header)]
    if (read.syntaxProblem) problems.push({ line: read.syntaxProblem.line, column: null, name: '', message: read.syntaxProblem.message })
    if (header && read.notUtf8Lines.includes(header.line)) {
      problems.push({
        line: header.line,
        column: null,
        name: '',
        message: 'is not UTF-8 text: save the file as “CSV UTF-8” and upload it again',
      })
    }
    const rows = records.filter((r) => r.cells.some((c) => c.trim() !== ''))
    if (!header || rows.length === 0)
      problems.push({ line: 1, column: null, name: '', message: 'The file has no rows to import under its header' })
    if (rows.length > maxImportRows) {
      problems.push({
        line: 1,
        column: null,
        name: '',
        message: `The file has ${rows.length.toLocaleString('en-GB')} rows: split it into files of up to ${maxImportRows.toLocaleString('en-GB')}`,
      })
    }
    const checker = new PartnerImportChecker(directory, {
      withProblemsColumn: (header?.cells.length ?? 0) > importColumns.length,
      notUtf8Lines: read.notUtf8Lines,
    })
    checker.declarePlaces(records)
    return { checker, records, problems }
  }

  /** The checks, a chunk at a time, reporting progress; the problems and counts are stored with the job. */
  private async runCheck(job: ImportJob): Promise<void> {
    const { checker, records, problems } = this.begin(await this.data.content(job.id), await this.directory(job.icsId))
    await this.data.progress(job.id, this.worker, { totalRows: records.length, processedRows: 0 }, this.clock())
    for (let i = 0; i < records.length; i += chunkSize) {
      checker.check(records.slice(i, i + chunkSize))
      // Let the process serve other requests between chunks, and say how far it has got.
      await new Promise((resolve) => setImmediate(resolve))
      if (!(await this.data.progress(job.id, this.worker, { processedRows: Math.min(records.length, i + chunkSize) }, this.clock()))) return
    }
    const all = sortProblems([...problems, ...checker.problems])
    await this.data.transition(
      job.id,
      ['checking'],
      all.length > 0 ? 'invalid' : 'checked',
      { counts: checker.counts(), problems: all, worker: this.worker },
      this.clock(),
    )
  }

  /**
   * The import, in one transaction: checked once more against what the ICS has now (someone may
   * have added an organisation since the preview), then the places, organisations and
   * invitations, an audit event each, and the job marked imported. Any problem, and nothing is
   * written. Invitation mails leave once it has committed.
   */
  private async runImport(job: ImportJob): Promise<void> {
    const bytes = await this.data.content(job.id)
    // Whoever confirmed the import makes it (the file may have been uploaded by another ICS lead).
    const by = job.confirmedBy ?? job.createdBy
    const byName = job.confirmedBy !== null ? job.confirmedByName : job.createdByName
    const ip = job.confirmedIp ?? undefined
    const now = this.clock()
    const outcome = await this.db.transaction(async (trx) => {
      const directory = await this.data.directory(job.icsId, now, invitationLifetimeMs, trx)
      const checked = this.check(bytes, directory)
      if (checked.problems.length > 0) {
        await this.data.transition(
          job.id,
          ['importing'],
          'invalid',
          { counts: checked.counts, problems: checked.problems, worker: this.worker },
          now,
          trx,
        )
        return { outboxIds: [] as number[] }
      }
      const { plan, counts } = checked
      const placeIds = new Map([...directory.places].map(([key, place]) => [key, place.id]))
      const created = await this.places.createPlaces(
        job.icsId,
        plan.places.map((p) => p.name),
        now,
        trx,
      )
      for (const [name, placeId] of created) placeIds.set(nameKey(name), placeId)
      const organisationIds = new Map([...directory.organisations].map(([key, o]) => [key, o.id]))
      const organisationsCreated = await this.places.createOrganisations(
        plan.organisations.map((o) => ({ placeId: placeIds.get(nameKey(o.placeName))!, name: o.name, kind: o.kind })),
        now,
        trx,
      )
      for (const o of plan.organisations) {
        const placeId = placeIds.get(nameKey(o.placeName))!
        organisationIds.set(`${nameKey(o.placeName)}\u0000${nameKey(o.name)}`, organisationsCreated.get(`${placeId}:${o.name}`)!)
      }
      const invited = await this.invitations.inviteMany(
        trx,
        { userId: by, name: byName ?? 'Your ICS lead' },
        job.icsId,
        plan.contacts.map((c) => ({
          email: c.email,
          name: c.name,
          role: 'partner',
          placeId: placeIds.get(nameKey(c.placeName))!,
          organisationId: organisationIds.get(`${nameKey(c.placeName)}\u0000${nameKey(c.organisationName)}`)!,
        })),
        ip,
      )
      await this.audit.recordMany(
        { userId: by, ip },
        [
          ...[...created].map(([name, placeId]) => ({
            kind: 'place.created' as const,
            icsId: job.icsId,
            subjectType: 'place',
            subjectId: placeId,
            details: { name, importId: job.id },
          })),
          ...plan.organisations.map((o) => ({
            kind: 'organisation.created' as const,
            icsId: job.icsId,
            subjectType: 'organisation',
            subjectId: organisationIds.get(`${nameKey(o.placeName)}\u0000${nameKey(o.name)}`)!,
            details: { name: o.name, kind: o.kind, place: o.placeName, importId: job.id },
          })),
          {
            kind: 'import.completed' as const,
            icsId: job.icsId,
            subjectType: 'import',
            subjectId: job.id,
            details: { filename: job.filename, ...counts },
          },
        ],
        trx,
      )
      await this.data.transition(job.id, ['importing'], 'imported', { counts, processedRows: counts.rows, worker: this.worker }, now, trx)
      return { outboxIds: invited.outboxIds }
    })
    await this.mailer.deliver(outcome.outboxIds)
  }
}

export function isWorking(status: ImportStatus): boolean {
  return status === 'checking' || status === 'importing'
}
