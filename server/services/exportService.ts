import { isIcsLead, managedPlaceIds } from '../auth/access'
import type { ApiClient } from '../auth/apiClient'
import type { Actor, CurrentUser } from '../auth/types'
import { ExportData, type AuditExportRow, type RespondentCursor, type RespondentRow, type StoredAnswer } from '../data/exports'
import { FrameworkData, type CriterionRow, type FrameworkVersion } from '../data/frameworks'
import { RoundData, type RoundRecord } from '../data/rounds'
import type { Database } from '../db/connection'
import { NotFoundError } from '../errors'
import type { AnswerExportRow } from '../exports/tables'
import type { ResultsReadModel, RoundResults } from '../results'
import type { AuditService } from './auditService'

/** What one person (or API token) may export of one round. */
export interface ExportScope {
  round: RoundRecord
  /** Only these places (a place lead's); undefined for the whole round (an ICS lead or an ICS's token). */
  placeIds: number[] | undefined
  /** The places in scope, by name. */
  places: Array<{ id: number; name: string }>
  /** Whether the whole ICS's records are in scope (the audit trail is for ICS leads only). */
  wholeIcs: boolean
}

/** One organisation with its answers, in framework order: a page item of the API's answers. */
export interface RespondentAnswers {
  respondent: RespondentRow
  answers: Array<{ criterion: CriterionRow; answer: StoredAnswer }>
}

export type ExportKind = 'answers' | 'results' | 'plan' | 'audit' | 'round'
export type ExportFormat = 'csv' | 'xlsx' | 'json'

/** How many organisations' answers are read per query while streaming (16 criteria each: 3,200 rows). */
const respondentBatch = 200
const auditBatch = 1000

/**
 * Exports of a round for ICS leads (the whole round) and place leads (their places), and the
 * rows behind the API: scope decided here, rows read in pages so that nothing holds a whole
 * large round in memory, results always from the results read model.
 */
export class ExportService {
  private readonly data: ExportData
  private readonly rounds: RoundData
  private readonly frameworks: FrameworkData

  constructor(
    db: Database,
    private readonly results: ResultsReadModel,
    private readonly audit: AuditService,
  ) {
    this.data = new ExportData(db)
    this.rounds = new RoundData(db)
    this.frameworks = new FrameworkData(db)
  }

  /** The round as this person may export it; "not found" when they may not see it at all. */
  async scopeFor(user: CurrentUser, roundId: number): Promise<ExportScope> {
    const round = await this.rounds.findRound(roundId)
    if (!round) throw new NotFoundError()
    const places = await this.rounds.placesInRound(roundId)
    if (isIcsLead(user, round.icsId)) return { round, placeIds: undefined, places, wholeIcs: true }
    const managed = new Set(managedPlaceIds(user))
    const mine = places.filter((p) => managed.has(p.id))
    if (mine.length === 0) throw new NotFoundError()
    return { round, placeIds: mine.map((p) => p.id), places: mine, wholeIcs: false }
  }

  /** The round as an API token of its ICS sees it; a round of another ICS is "not found", as one that does not exist. */
  async scopeForClient(client: ApiClient, roundId: number): Promise<ExportScope> {
    const round = await this.rounds.findRound(roundId)
    if (!round || round.icsId !== client.icsId) throw new NotFoundError('There is no such round')
    return { round, placeIds: undefined, places: await this.rounds.placesInRound(roundId), wholeIcs: true }
  }

  async framework(scope: ExportScope): Promise<{ version: FrameworkVersion; criteria: CriterionRow[] }> {
    const version = await this.frameworks.getVersion(scope.round.frameworkVersionId)
    if (!version) throw new Error(`Framework version ${scope.round.frameworkVersionId} is missing`)
    return { version, criteria: await this.frameworks.criteria(version.id) }
  }

  /** The round's results from the one read model, limited to the scope's places. */
  async roundResults(scope: ExportScope): Promise<RoundResults> {
    const results = await this.results.round(scope.round.id, { placeIds: scope.placeIds })
    if (!results) throw new NotFoundError()
    return results
  }

  /** A page of organisations with their saved answers, after a cursor, by place and organisation name. */
  async answersPage(scope: ExportScope, after: RespondentCursor | undefined, limit: number): Promise<RespondentAnswers[]> {
    const { criteria } = await this.framework(scope)
    const page = await this.data.respondents(scope.round.id, { placeIds: scope.placeIds, after, limit })
    const answers = await this.answersByResponse(page)
    return page.map((respondent) => {
      const mine = respondent.responseId === null ? undefined : answers.get(respondent.responseId)
      return {
        respondent,
        answers: criteria.flatMap((criterion) => {
          const answer = mine?.get(criterion.id)
          return answer ? [{ criterion, answer }] : []
        }),
      }
    })
  }

  /** Every organisation of the round in scope with its saved answers, a page of organisations at a time. */
  async *respondentAnswers(scope: ExportScope): AsyncGenerator<RespondentAnswers> {
    let after: RespondentCursor | undefined
    for (;;) {
      const page = await this.answersPage(scope, after, respondentBatch)
      yield* page
      if (page.length < respondentBatch) return
      const last = page[page.length - 1]!.respondent
      after = { placeName: last.placeName, organisationName: last.organisationName, organisationId: last.organisationId }
    }
  }

  /**
   * Every organisation x criterion of the round in scope, answered or not, read a batch of
   * organisations at a time: memory stays flat whatever the size of the round.
   */
  async *answerRows(scope: ExportScope): AsyncGenerator<AnswerExportRow> {
    const { version, criteria } = await this.framework(scope)
    const domainTitles = new Map(version.document.domains.map((d) => [d.code, d.title]))
    let after: RespondentCursor | undefined
    for (;;) {
      const page = await this.data.respondents(scope.round.id, { placeIds: scope.placeIds, after, limit: respondentBatch })
      const answers = await this.answersByResponse(page)
      for (const respondent of page) {
        const mine = respondent.responseId === null ? undefined : answers.get(respondent.responseId)
        for (const criterion of criteria) {
          yield {
            respondent,
            criterion,
            domainTitle: domainTitles.get(criterion.domainCode) ?? criterion.domainCode,
            answer: mine?.get(criterion.id),
          }
        }
      }
      if (page.length < respondentBatch) return
      const last = page[page.length - 1]!
      after = { placeName: last.placeName, organisationName: last.organisationName, organisationId: last.organisationId }
    }
  }

  private async answersByResponse(page: RespondentRow[]): Promise<Map<number, Map<number, StoredAnswer>>> {
    const ids = page.flatMap((r) => (r.responseId === null ? [] : [r.responseId]))
    const byResponse = new Map<number, Map<number, StoredAnswer>>()
    for (const answer of await this.data.answersOf(ids)) {
      let mine = byResponse.get(answer.responseId)
      if (!mine) byResponse.set(answer.responseId, (mine = new Map()))
      mine.set(answer.criterionId, answer)
    }
    return byResponse
  }

  /** The ICS's audit trail between two instants, oldest first, a page at a time; ICS leads only. */
  async *auditRows(scope: ExportScope, range: { from: Date; before: Date }): AsyncGenerator<AuditExportRow> {
    if (!scope.wholeIcs) throw new NotFoundError()
    let after: { occurredAt: Date; id: number } | undefined
    for (;;) {
      const page = await this.data.auditEvents(scope.round.icsId, range, after, auditBatch)
      yield* page
      if (page.length < auditBatch) return
      const last = page[page.length - 1]!
      after = { occurredAt: last.occurredAt, id: last.id }
    }
  }

  /** Downloads of personal data are recorded: who took what, of which round, when. */
  async recordDownload(
    actor: Actor,
    scope: ExportScope,
    kind: ExportKind,
    format: ExportFormat,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await this.audit.record(actor, {
      kind: 'export.downloaded',
      icsId: scope.round.icsId,
      subjectType: 'round',
      subjectId: scope.round.id,
      details: { export: kind, format, ...(scope.placeIds ? { placeIds: scope.placeIds } : {}), ...extra },
    })
  }
}
