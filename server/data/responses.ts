import type { Knex } from 'knex'
import type { Database } from '../db/connection'
import { compiledRead } from '../db/compiledRead'
import { idParams, idsOf, shapedReads, type ShapedParams } from './shapedReads'
import { timestamp, toBoolean, toCount, toDate, toDateOrNull } from '../db/values'
import type { AnswerValue } from '../assessment/answers'
import type { CriterionRow, Executor } from './frameworks'
import type { OrganisationRecord } from './places'
import { organisationInRoundSql, roundColumns, toRound, type RoundRecord, type RoundRow } from './rounds'

export type ResponseStatus = 'in_progress' | 'submitted'

export interface ResponseRecord {
  id: number
  roundId: number
  organisationId: number
  status: ResponseStatus
  submittedAt: Date | null
  submittedByName: string | null
  reference: string | null
  updatedAt: Date
  updatedByName: string | null
}

/** A response's columns as findResponse and findRoundForOrganisation select them (null: no response yet). */
interface ResponseColumns {
  response_id: number | null
  response_status: ResponseStatus | null
  response_submitted_at: unknown
  response_submitted_by_name: string | null
  response_reference: string | null
  response_updated_at: unknown
  response_updated_by_name: string | null
}

/** Selects ResponseColumns from `responses as resp`, joined to its submitter `s` and last editor `u`. */
const responseColumns = [
  'resp.id as response_id',
  'resp.status as response_status',
  'resp.submitted_at as response_submitted_at',
  's.name as response_submitted_by_name',
  'resp.reference as response_reference',
  'resp.updated_at as response_updated_at',
  'u.name as response_updated_by_name',
]

function toResponse(roundId: number, organisationId: number, row: ResponseColumns): ResponseRecord | undefined {
  if (row.response_id === null) return undefined
  return {
    id: row.response_id,
    roundId,
    organisationId,
    status: row.response_status!,
    submittedAt: toDateOrNull(row.response_submitted_at),
    submittedByName: row.response_submitted_by_name,
    reference: row.response_reference,
    updatedAt: toDate(row.response_updated_at),
    updatedByName: row.response_updated_by_name,
  }
}

/** An answer as a save compares it: its value and version. */
export interface VersionedAnswer extends AnswerValue {
  criterionId: number
  code: string
  version: number
}

export interface StoredAnswer extends VersionedAnswer {
  updatedAt: Date
  updatedByName: string | null
}

export interface AssessmentOverviewRow {
  roundId: number
  roundTitle: string
  opensAt: Date
  closesAt: Date
  extendedUntil: Date | null
  closedAt: Date | null
  organisationId: number
  organisationName: string
  placeName: string
  status: ResponseStatus | 'not_started'
  answered: number
  criteria: number
  submittedAt: Date | null
}

/**
 * Progress columns for a query over responses `r` of rounds `rd`: how many criteria the
 * response answers (a level or "Not sure yet") and how many the round's framework has.
 */
export function progressColumns(db: Database) {
  return {
    answered: db('answers as a')
      .whereRaw('a.response_id = r.id')
      .where((q) => {
        q.whereNotNull('a.level').orWhere('a.not_sure', true)
      })
      .count('*')
      .as('answered'),
    criteria: db('framework_criteria as c').whereRaw('c.version_id = rd.framework_version_id').count('*').as('criteria'),
  }
}

/** The round, organisation and response of an assessment page, read on every one of its requests: compiled once. */
type RoundForOrganisationRow = RoundRow & {
  organisation_id: number
  place_id: number
  organisation_name: string
  kind: string
  place_name: string
  organisation_retired_at: unknown
} & ResponseColumns

const readRoundForOrganisation = compiledRead<{ roundId: number; organisationId: number }, RoundForOrganisationRow>(
  (db, { roundId, organisationId }) =>
    db('rounds as r')
      .join('round_places as rp', 'rp.round_id', 'r.id')
      .join('places as p', 'p.id', 'rp.place_id')
      .join('organisations as o', 'o.place_id', 'p.id')
      .leftJoin('responses as resp', (on) => on.on('resp.round_id', 'r.id').andOn('resp.organisation_id', 'o.id'))
      .leftJoin('users as s', 's.id', 'resp.submitted_by')
      .leftJoin('users as u', 'u.id', 'resp.updated_by')
      .where({ 'r.id': roundId, 'o.id': organisationId })
      .whereRaw('p.ics_id = r.ics_id')
      .whereRaw(organisationInRoundSql('r', 'o'))
      .first(
        ...roundColumns('r'),
        'o.id as organisation_id',
        'o.retired_at as organisation_retired_at',
        'o.place_id',
        'o.name as organisation_name',
        'o.kind',
        'p.name as place_name',
        ...responseColumns,
      ),
  ['roundId', 'organisationId'],
)

/** An answer's own columns as stored. */
interface StoredAnswerRow {
  level: number | null
  not_sure: unknown
  evidence: string | null
  support_needed: string | null
  target_level: number | null
  version: number
}

function versionedAnswerOf(row: StoredAnswerRow, criterionId: number, code: string): VersionedAnswer {
  return {
    criterionId,
    code,
    level: row.level,
    notSure: toBoolean(row.not_sure),
    evidence: row.evidence,
    supportNeeded: row.support_needed,
    targetLevel: row.target_level,
    version: row.version,
  }
}

type AnswerOrCompletionRow = StoredAnswerRow & {
  row_kind: 'answer' | 'completed'
  criterion_id: number | null
  domain_code: string | null
  updated_at: unknown
  updated_by_name: string | null
}

/** A response's answers (each row an answer), then its completed domains (each a row naming the domain). */
function answersAndCompletionQuery(db: Database, responseId: number, domainCode?: string) {
  const answers = db('answers as a').leftJoin('users as u', 'u.id', 'a.updated_by').where('a.response_id', responseId)
  // One domain's: its criteria are the framework version's, as the response's answers all are.
  if (domainCode !== undefined)
    answers.join('framework_criteria as c', 'c.id', 'a.criterion_id').join('framework_domains as d', 'd.id', 'c.domain_id').where('d.code', domainCode)
  return answers
    .select(
      db.raw("'answer' as row_kind"),
      'a.criterion_id',
      db.raw('null as domain_code'),
      'a.level',
      'a.not_sure',
      'a.evidence',
      'a.support_needed',
      'a.target_level',
      'a.version',
      'a.updated_at',
      'u.name as updated_by_name',
    )
    .unionAll((q) => {
      q.from('response_domains')
        .where('response_id', responseId)
        .select(
          db.raw("'completed' as row_kind"),
          db.raw('null as criterion_id'),
          'domain_code',
          ...['level', 'not_sure', 'evidence', 'support_needed', 'target_level', 'version', 'updated_at', 'updated_by_name'].map((c) =>
            db.raw(`null as ${c}`),
          ),
        )
    })
}

/** Read on every assessment page: compiled once. */
const readAnswersAndCompletion = compiledRead<{ responseId: number }, AnswerOrCompletionRow>(
  (db, { responseId }) => answersAndCompletionQuery(db, responseId),
  ['responseId'],
)
const readDomainAnswersAndCompletion = compiledRead<{ responseId: number; domainCode: string }, AnswerOrCompletionRow>(
  (db, { responseId, domainCode }) => answersAndCompletionQuery(db, responseId, domainCode),
  ['responseId', 'domainCode'],
)

/** A save's read of its domain's answers, compiled once per number of criteria (see shapedReads; a domain has a few). */
const versionedAnswerReads = shapedReads<StoredAnswerRow & { criterion_id: number }>(50)
function readVersionedAnswers(params: ShapedParams) {
  return versionedAnswerReads(params, '', (db, p) =>
    db('answers')
      .where('response_id', p.responseId!)
      .whereIn('criterion_id', idsOf('criterion', p))
      .select('criterion_id', 'level', 'not_sure', 'evidence', 'support_needed', 'target_level', 'version'),
  )
}

/** An answer's columns as a save writes them. */
type AnswerWrite = {
  responseId: number
  criterionId: number
  level: number | null
  notSure: boolean
  evidence: string | null
  supportNeeded: string | null
  targetLevel: number | null
  updatedAt: string
  updatedBy: number
}
const answerWriteParams = ['responseId', 'criterionId', 'level', 'notSure', 'evidence', 'supportNeeded', 'targetLevel', 'updatedAt', 'updatedBy'] as const
const answerColumns = (p: AnswerWrite) => ({
  level: p.level,
  not_sure: p.notSure,
  evidence: p.evidence,
  support_needed: p.supportNeeded,
  target_level: p.targetLevel,
  updated_at: p.updatedAt,
  updated_by: p.updatedBy,
})

// The writes of every save, compiled once; each returns the rows it wrote, so a version check that failed writes none.
const insertAnswer = compiledRead<AnswerWrite, { id: number }>(
  (db, p) =>
    db('answers')
      .insert({ response_id: p.responseId, criterion_id: p.criterionId, version: 1, ...answerColumns(p) })
      .onConflict(['response_id', 'criterion_id'])
      .ignore()
      .returning('id'),
  answerWriteParams,
)
const updateAnswer = compiledRead<AnswerWrite & { expectedVersion: number; version: number }, { id: number }>(
  (db, p) =>
    db('answers')
      .where({ response_id: p.responseId, criterion_id: p.criterionId, version: p.expectedVersion })
      .update({ ...answerColumns(p), version: p.version })
      .returning('id'),
  [...answerWriteParams, 'expectedVersion', 'version'],
)
const touchResponse = compiledRead<{ responseId: number; updatedAt: string; updatedBy: number }, { id: number }>(
  (db, p) =>
    db('responses')
      .where({ id: p.responseId })
      .update({ updated_at: p.updatedAt, updated_by: p.updatedBy, version: db.raw('version + 1') })
      .returning('id'),
  ['responseId', 'updatedAt', 'updatedBy'],
)
const clearDomainComplete = compiledRead<{ responseId: number; domainCode: string }, { id: number }>(
  (db, p) =>
    // knex leaves out a delete's returning on SQLite.
    db.raw('delete from response_domains where response_id = ? and domain_code = ? returning response_id', [
      p.responseId,
      p.domainCode,
    ]) as unknown as Knex.QueryBuilder,
  ['responseId', 'domainCode'],
)

export class ResponseData {
  constructor(private readonly db: Database) {}

  /**
   * A round and an organisation of the same ICS whose place takes part in it, with the
   * organisation's response if it has one, in one query (the check every assessment page and
   * save makes). Undefined when the round, the organisation or the place's part in it is not there.
   */
  async findRoundForOrganisation(
    roundId: number,
    organisationId: number,
  ): Promise<{ round: RoundRecord; organisation: OrganisationRecord; response: ResponseRecord | undefined } | undefined> {
    const [row] = await readRoundForOrganisation(this.db, { roundId, organisationId })
    if (!row) return undefined
    return {
      round: toRound(row),
      organisation: {
        id: row.organisation_id,
        placeId: row.place_id,
        icsId: row.ics_id,
        name: row.organisation_name,
        kind: row.kind,
        placeName: row.place_name,
        retiredAt: toDateOrNull(row.organisation_retired_at),
      },
      response: toResponse(row.id, row.organisation_id, row),
    }
  }

  async findResponse(roundId: number, organisationId: number, executor: Executor = this.db): Promise<ResponseRecord | undefined> {
    const row = (await executor('responses as resp')
      .leftJoin('users as s', 's.id', 'resp.submitted_by')
      .leftJoin('users as u', 'u.id', 'resp.updated_by')
      .where({ 'resp.round_id': roundId, 'resp.organisation_id': organisationId })
      .first(
        ...responseColumns,
      )) as ResponseColumns | undefined
    return row && toResponse(roundId, organisationId, row)
  }

  /** The response row for an organisation in a round, created on first save; safe under concurrency. */
  async ensureResponse(roundId: number, organisationId: number, now: Date, executor: Executor): Promise<number> {
    await executor('responses')
      .insert({ round_id: roundId, organisation_id: organisationId, status: 'in_progress', version: 0, created_at: timestamp(now), updated_at: timestamp(now) })
      .onConflict(['round_id', 'organisation_id'])
      .ignore()
    const row = (await executor('responses').where({ round_id: roundId, organisation_id: organisationId }).first('id')) as { id: number }
    return row.id
  }

  /**
   * A response's answers by criterion code (all of them, or only one domain's) and the domains
   * marked complete, in one query. `criteria` are the round's framework's, which name the answers.
   */
  async answersAndCompletion(
    responseId: number,
    criteria: CriterionRow[],
    domainCode?: string,
  ): Promise<{ answers: Map<string, StoredAnswer>; completedDomains: Set<string> }> {
    const rows = domainCode === undefined ? await readAnswersAndCompletion(this.db, { responseId }) : await readDomainAnswersAndCompletion(this.db, { responseId, domainCode })
    const codes = new Map(criteria.map((c) => [c.id, c.code]))
    const result = { answers: new Map<string, StoredAnswer>(), completedDomains: new Set<string>() }
    for (const r of rows) {
      if (r.row_kind === 'completed') {
        result.completedDomains.add(r.domain_code!)
        continue
      }
      const code = codes.get(r.criterion_id!)
      if (code === undefined) continue
      result.answers.set(code, {
        ...versionedAnswerOf(r, r.criterion_id!, code),
        updatedAt: toDate(r.updated_at),
        updatedByName: r.updated_by_name,
      })
    }
    return result
  }

  /** Some criteria's answers (a domain's, at a save), by criterion code, with only what a save compares (no names to join). */
  async versionedAnswers(responseId: number, criteria: CriterionRow[], executor: Executor): Promise<Map<string, VersionedAnswer>> {
    const params = { responseId, ...idParams('criterion', criteria.map((c) => c.id)) }
    const rows = await readVersionedAnswers(params)(executor, params)
    const codes = new Map(criteria.map((c) => [c.id, c.code]))
    return new Map(
      rows.map((r) => {
        const code = codes.get(r.criterion_id)!
        return [code, versionedAnswerOf(r, r.criterion_id, code)]
      }),
    )
  }

  /**
   * Writes an answer only if it is still at the version the user started from; returns
   * false when someone else changed it in between (the caller then rolls back).
   */
  async writeAnswer(responseId: number, criterionId: number, expectedVersion: number, value: AnswerValue, userId: number, now: Date, executor: Executor): Promise<boolean> {
    const params = {
      responseId,
      criterionId,
      level: value.level,
      notSure: value.notSure,
      evidence: value.evidence,
      supportNeeded: value.supportNeeded,
      targetLevel: value.targetLevel,
      updatedAt: timestamp(now),
      updatedBy: userId,
    }
    const written =
      expectedVersion === 0
        ? await insertAnswer(executor, params)
        : await updateAnswer(executor, { ...params, expectedVersion, version: expectedVersion + 1 })
    return written.length === 1
  }

  async touchResponse(responseId: number, userId: number, now: Date, executor: Executor): Promise<void> {
    await touchResponse(executor, { responseId, updatedAt: timestamp(now), updatedBy: userId })
  }

  async markDomainComplete(responseId: number, domainCode: string, userId: number, now: Date, executor: Executor): Promise<void> {
    await executor('response_domains')
      .insert({ response_id: responseId, domain_code: domainCode, completed_at: timestamp(now), completed_by: userId })
      .onConflict(['response_id', 'domain_code'])
      .merge({ completed_at: timestamp(now), completed_by: userId })
  }

  async clearDomainComplete(responseId: number, domainCode: string, executor: Executor): Promise<void> {
    await clearDomainComplete(executor, { responseId, domainCode })
  }

  /** Submits once: false if the response was already submitted (a double click, or a colleague). */
  async submit(responseId: number, userId: number, reference: string, now: Date, executor: Executor): Promise<boolean> {
    const updated = await executor('responses')
      .where({ id: responseId, status: 'in_progress' })
      .update({ status: 'submitted', submitted_at: timestamp(now), submitted_by: userId, reference, updated_at: timestamp(now), updated_by: userId })
    return updated === 1
  }

  async reopen(responseId: number, executor: Executor): Promise<boolean> {
    const updated = await executor('responses').where({ id: responseId, status: 'submitted' }).update({ status: 'in_progress', submitted_at: null })
    return updated === 1
  }

  /**
   * Every round an organisation takes part in, with its progress, in one query:
   * answered criteria counted in SQL, not by loading answers.
   */
  async overview(organisationIds: number[]): Promise<AssessmentOverviewRow[]> {
    if (organisationIds.length === 0) return []
    const { answered, criteria } = progressColumns(this.db)
    const rows = (await this.db('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .join('round_places as rp', 'rp.place_id', 'p.id')
      .join('rounds as rd', 'rd.id', 'rp.round_id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rd.id').andOn('r.organisation_id', 'o.id'))
      .whereIn('o.id', organisationIds)
      .whereRaw(organisationInRoundSql('rd', 'o'))
      .orderBy([{ column: 'rd.closes_at', order: 'desc' }, { column: 'o.name' }])
      .select('rd.id as round_id', 'rd.title', 'rd.opens_at', 'rd.closes_at', 'rd.extended_until', 'rd.closed_at', 'o.id as organisation_id', 'o.name as organisation_name', 'p.name as place_name', 'r.status', 'r.submitted_at', answered, criteria)) as Array<{
      round_id: number
      title: string
      opens_at: unknown
      closes_at: unknown
      extended_until: unknown
      closed_at: unknown
      organisation_id: number
      organisation_name: string
      place_name: string
      status: ResponseStatus | null
      submitted_at: unknown
      answered: unknown
      criteria: unknown
    }>
    return rows.map((r) => ({
      roundId: r.round_id,
      roundTitle: r.title,
      opensAt: toDate(r.opens_at),
      closesAt: toDate(r.closes_at),
      extendedUntil: toDateOrNull(r.extended_until),
      closedAt: toDateOrNull(r.closed_at),
      organisationId: r.organisation_id,
      organisationName: r.organisation_name,
      placeName: r.place_name,
      status: r.status ?? 'not_started',
      answered: toCount(r.answered),
      criteria: toCount(r.criteria),
      submittedAt: toDateOrNull(r.submitted_at),
    }))
  }

  /** Organisations of a round, with the status of each one's response: for the ICS lead's round page. */
  async roundResponses(roundId: number): Promise<Array<{ organisationId: number; organisationName: string; placeName: string; status: ResponseStatus | 'not_started'; submittedAt: Date | null; reference: string | null }>> {
    const rows = (await this.db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .join('places as p', 'p.id', 'o.place_id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rp.round_id').andOn('r.organisation_id', 'o.id'))
      .where('rp.round_id', roundId)
      .orderBy(['p.name', 'o.name'])
      .select('o.id', 'o.name', 'p.name as place_name', 'r.status', 'r.submitted_at', 'r.reference')) as Array<{
      id: number
      name: string
      place_name: string
      status: ResponseStatus | null
      submitted_at: unknown
      reference: string | null
    }>
    return rows.map((r) => ({
      organisationId: r.id,
      organisationName: r.name,
      placeName: r.place_name,
      status: r.status ?? 'not_started',
      submittedAt: toDateOrNull(r.submitted_at),
      reference: r.reference,
    }))
  }
}
