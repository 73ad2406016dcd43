import type { Database } from '../db/connection'
import { groupCommit, type Transact } from '../db/groupCommit'
import {
  checkComplete,
  checkDraft,
  fingerprint,
  isAnswered,
  isBlank,
  readAnswerForm,
  sameValue,
  typedFromValue,
  type AnswerValue,
  type TypedAnswer,
} from '../assessment/answers'
import { canReadPartnerAnswers, canRespondFor } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import { FrameworkData, type CriterionRow } from '../data/frameworks'
import { PlaceData, type OrganisationRecord } from '../data/places'
import { ResponseData, type ResponseRecord, type StoredAnswer, type VersionedAnswer } from '../data/responses'
import type { RoundRecord } from '../data/rounds'
import { responseReference } from '../assessment/reference'
import { submissionConfirmation } from '../emails/messages'
import { deadlineOf, roundState } from '../rounds/schedule'
import type { FormError } from '../forms/errors'
import type { FrameworkDocument } from '../framework/types'
import { NotFoundError, ValidationError } from '../errors'
import { daysLeft } from '../time/london'
import { answerSubjectId, type AnswerHistoryEntry, type AuditService } from './auditService'
import type { Mailer } from './mailer'

export type DomainStatus = 'not_started' | 'in_progress' | 'completed'

export interface AssessmentContext {
  round: RoundRecord
  organisation: OrganisationRecord
  framework: FrameworkDocument
  criteria: CriterionRow[]
  response: ResponseRecord | undefined
  /** The saved answers by criterion code: every criterion's, or only the domain's when the context was asked for one domain. */
  answers: Map<string, StoredAnswer>
  completedDomains: Set<string>
  /** The partner's own organisation: they may change it while the round is open. */
  canEdit: boolean
  deadline: Date
  isOpen: boolean
  hasOpened: boolean
  submitted: boolean
  /** Open, not submitted, and this user answers for the organisation. */
  editable: boolean
}

export interface DomainSummary {
  code: string
  title: string
  status: DomainStatus
  answered: number
  total: number
}

export interface ConflictingAnswer {
  criterion: CriterionRow
  theirs: StoredAnswer | undefined
  mine: AnswerValue
}

export type SaveMode = 'save' | 'complete'

export type SaveResult =
  | { kind: 'saved'; savedAt: Date; versions: Record<string, number>; bases: Record<string, string>; completed: boolean }
  | { kind: 'conflict'; typed: Map<string, TypedAnswer>; conflicts: ConflictingAnswer[] }
  | { kind: 'closed'; typed: Map<string, TypedAnswer> }

/** The answers whose saved version moved on under the user; what stands now is read afresh to show them. */
class ConflictDetected extends Error {
  constructor(readonly conflicts: Array<Omit<ConflictingAnswer, 'theirs'>>) {
    super('Answers changed since the form was opened')
  }
}

function answerForAudit(value: AnswerValue | undefined): Record<string, unknown> | null {
  if (!value) return null
  return {
    level: value.level,
    notSure: value.notSure,
    evidence: value.evidence,
    supportNeeded: value.supportNeeded,
    targetLevel: value.targetLevel,
  }
}

/**
 * A partner organisation's self-assessment in a round: the task list, saving (with
 * conflict detection), completing domains, checking and submitting. Running rounds is RoundService's.
 */
export class AssessmentService {
  private readonly responses: ResponseData
  private readonly frameworks: FrameworkData
  private readonly places: PlaceData
  private readonly lockedFrameworks = new Map<number, { document: FrameworkDocument; criteria: CriterionRow[] }>()
  private readonly criteriaByDomain = new WeakMap<CriterionRow[], Map<string, CriterionRow[]>>()

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
    /** Saves and submissions commit in groups on SQLite (see groupCommit). */
    private readonly transact: Transact = groupCommit(db),
  ) {
    this.responses = new ResponseData(db)
    this.frameworks = new FrameworkData(db)
    this.places = new PlaceData(db)
  }

  /**
   * Loads a round and organisation the user may see, or answers "not found": the round must
   * include the organisation's place, and the user must answer for it, lead its place or lead its ICS.
   */
  async context(
    user: CurrentUser,
    roundId: number,
    organisationId: number,
    options: { withAnswers?: boolean; domainCode?: string } = {},
  ): Promise<AssessmentContext> {
    const found = await this.responses.findRoundForOrganisation(roundId, organisationId)
    if (!found) throw new NotFoundError()
    const { round, organisation, response } = found
    const canEdit = canRespondFor(user, organisation.id)
    if (!canReadPartnerAnswers(user, { id: organisation.id, placeId: organisation.placeId, icsId: round.icsId })) throw new NotFoundError()
    const { document, criteria } = await this.frameworkOf(round.frameworkVersionId)
    // Saving reads the answers afresh inside its transaction, so it asks for the context without them.
    const withAnswers = options.withAnswers ?? true
    const { answers, completedDomains } =
      response && withAnswers
        ? await this.responses.answersAndCompletion(response.id, criteria, options.domainCode)
        : { answers: new Map<string, StoredAnswer>(), completedDomains: new Set<string>() }
    const now = this.clock()
    const deadline = deadlineOf(round)
    const hasOpened = now >= round.opensAt
    const isOpen = roundState(round, now) === 'open'
    const submitted = response?.status === 'submitted'
    return {
      round,
      organisation,
      framework: document,
      criteria,
      response,
      answers,
      completedDomains,
      canEdit,
      deadline,
      isOpen,
      hasOpened,
      submitted,
      editable: canEdit && isOpen && !submitted,
    }
  }

  /**
   * A round's framework version and its criteria. A version is immutable once a round uses it
   * (it is locked when the round is created), so each process keeps the ones it has read.
   */
  private async frameworkOf(versionId: number): Promise<{ document: FrameworkDocument; criteria: CriterionRow[] }> {
    const cached = this.lockedFrameworks.get(versionId)
    if (cached) return cached
    const [version, criteria] = [await this.frameworks.getVersion(versionId), await this.frameworks.criteria(versionId)]
    const framework = { document: version!.document, criteria }
    if (version!.lockedAt) this.lockedFrameworks.set(versionId, framework)
    return framework
  }

  domainSummaries(ctx: AssessmentContext): DomainSummary[] {
    return ctx.framework.domains.map((domain) => {
      const codes = domain.criteria.map((c) => c.code)
      const answered = codes.filter((code) => isAnswered(ctx.answers.get(code))).length
      const touched = codes.some((code) => ctx.answers.has(code))
      const status: DomainStatus = ctx.completedDomains.has(domain.code) ? 'completed' : touched ? 'in_progress' : 'not_started'
      return { code: domain.code, title: domain.title, status, answered, total: codes.length }
    })
  }

  progress(ctx: AssessmentContext): { answered: number; total: number } {
    return { answered: ctx.criteria.filter((c) => isAnswered(ctx.answers.get(c.code))).length, total: ctx.criteria.length }
  }

  /** Whole London calendar days from today to the deadline's day: "21 days left" on 22 November for 13 December. */
  daysLeft(deadline: Date): number {
    return daysLeft(deadline, this.clock())
  }

  /** The partner's rounds, across every organisation they answer for. */
  async overview(user: CurrentUser) {
    const organisationIds = user.memberships.filter((m) => m.role === 'partner' && m.organisationId !== null).map((m) => m.organisationId!)
    const now = this.clock()
    return (await this.responses.overview(organisationIds)).map((row) => {
      const deadline = deadlineOf(row)
      const state = roundState(row, now)
      return { ...row, deadline, state, isOpen: state === 'open', daysLeft: this.daysLeft(deadline) }
    })
  }

  criteriaOf(ctx: AssessmentContext, domainCode: string): CriterionRow[] {
    const criteria = this.domainCriteria(ctx.criteria, domainCode)
    if (criteria.length === 0) throw new NotFoundError()
    return criteria
  }

  /** A domain's criteria, in order; kept per criteria list (a framework version's, read once per process). */
  private domainCriteria(criteria: CriterionRow[], domainCode: string): CriterionRow[] {
    let byDomain = this.criteriaByDomain.get(criteria)
    if (!byDomain) {
      byDomain = new Map()
      for (const c of criteria) byDomain.set(c.domainCode, [...(byDomain.get(c.domainCode) ?? []), c])
      this.criteriaByDomain.set(criteria, byDomain)
    }
    return byDomain.get(domainCode) ?? []
  }

  /** What the form shows for each criterion of a domain: what is saved now. */
  savedTyped(ctx: AssessmentContext, criteria: CriterionRow[]): Map<string, TypedAnswer> {
    return new Map(criteria.map((c) => [c.code, typedFromValue(ctx.answers.get(c.code), ctx.answers.get(c.code)?.version ?? 0)]))
  }

  /**
   * Saves a domain's answers as one transaction. Each answer carries the version it was
   * based on: if a colleague changed it since, nothing is saved and both versions come back.
   */
  async save(
    actor: Actor,
    roundId: number,
    organisationId: number,
    domainCode: string,
    body: Record<string, unknown>,
    mode: SaveMode,
  ): Promise<SaveResult> {
    const user = actor.user
    const ctx = await this.context(user, roundId, organisationId, { withAnswers: false })
    if (!ctx.canEdit) throw new NotFoundError()
    const criteria = this.criteriaOf(ctx, domainCode)
    const { typed, errors: formErrors, untouched } = readAnswerForm(body, criteria)
    if (!ctx.isOpen || ctx.submitted) return { kind: 'closed', typed }
    if (formErrors.length > 0) throw new ValidationError(formErrors)
    const { errors, values } = checkDraft(typed, criteria, ctx.framework.levels.length)
    if (errors.length > 0) throw new ValidationError(errors)
    if (mode === 'complete') {
      const incomplete = checkComplete(values, criteria)
      if (incomplete.length > 0) throw new ValidationError(incomplete)
    }
    const now = this.clock()
    try {
      const versions = await this.transact(async (trx) => {
        const responseId = ctx.response?.id ?? (await this.responses.ensureResponse(ctx.round.id, ctx.organisation.id, now, trx))
        const current = await this.responses.versionedAnswers(responseId, criteria, trx)
        const conflicts: Array<Omit<ConflictingAnswer, 'theirs'>> = []
        const skipped = new Set<string>()
        const changed: Array<{ criterion: CriterionRow; before: VersionedAnswer | undefined; after: AnswerValue }> = []
        for (const criterion of criteria) {
          if (untouched.has(criterion.code)) continue
          const before = current.get(criterion.code)
          const after = values.get(criterion.code)!
          if ((!before && isBlank(typed.get(criterion.code)!)) || sameValue(before, after)) continue
          const mine = typed.get(criterion.code)!
          const basedOn = Number(mine.version)
          if (basedOn !== (before?.version ?? 0) && mine.base === fingerprint(after)) {
            // A colleague changed this answer, and this user did not touch it: theirs stands.
            skipped.add(criterion.code)
            continue
          }
          const written =
            basedOn === (before?.version ?? 0) &&
            (await this.responses.writeAnswer(responseId, criterion.id, basedOn, after, user.id, now, trx))
          if (written) changed.push({ criterion, before, after })
          else conflicts.push({ criterion, mine: after })
        }
        if (conflicts.length > 0) throw new ConflictDetected(conflicts)
        for (const { criterion, before, after } of changed) {
          await this.audit.record(
            actor,
            {
              kind: 'answer.changed',
              icsId: ctx.round.icsId,
              subjectType: 'answer',
              subjectId: answerSubjectId(responseId, criterion.code),
              details: {
                round: ctx.round.id,
                organisation: ctx.organisation.name,
                criterion: criterion.code,
                old: answerForAudit(before),
                new: answerForAudit(after),
              },
            },
            trx,
          )
        }
        if (changed.length > 0) await this.responses.touchResponse(responseId, user.id, now, trx)
        if (mode === 'complete') {
          await this.responses.markDomainComplete(responseId, domainCode, user.id, now, trx)
          await this.audit.record(
            actor,
            {
              kind: 'domain.completed',
              icsId: ctx.round.icsId,
              subjectType: 'response',
              subjectId: responseId,
              details: { domain: domainCode },
            },
            trx,
          )
        } else {
          // A completed domain whose answers no longer meet the rules goes back to "In progress".
          // What stands now: this save's answers, and as they were where it left them alone or a colleague's stood.
          const merged = new Map<string, AnswerValue>()
          for (const c of criteria) {
            const standing = untouched.has(c.code) || skipped.has(c.code) ? current.get(c.code) : values.get(c.code)
            if (standing) merged.set(c.code, standing)
          }
          if (checkComplete(merged, criteria).length > 0) await this.responses.clearDomainComplete(responseId, domainCode, trx)
        }
        // What is saved now, without reading it back: a written answer is one version on from
        // what it was based on, and holds exactly what was written; the rest are as they were.
        const written = new Map(
          changed.map(({ criterion, before, after }) => [criterion.code, { version: (before?.version ?? 0) + 1, value: after }]),
        )
        // The page still shows the old text where a colleague's change stood, so it keeps its old
        // version there: a later autosave from it must not overwrite that change unseen.
        return criteria.map((c) => {
          if (skipped.has(c.code)) return { code: c.code, version: Number(typed.get(c.code)!.version), base: typed.get(c.code)!.base }
          const state = written.get(c.code) ?? { version: current.get(c.code)?.version ?? 0, value: current.get(c.code) }
          return { code: c.code, version: state.version, base: fingerprint(state.value) }
        })
      })
      return {
        kind: 'saved',
        savedAt: now,
        versions: Object.fromEntries(versions.map((v) => [v.code, v.version])),
        bases: Object.fromEntries(versions.map((v) => [v.code, v.base])),
        completed: mode === 'complete',
      }
    } catch (error) {
      if (!(error instanceof ConflictDetected)) throw error
      // Show the user their own text, based on the versions now saved, so saving again is a deliberate choice.
      const latest = await this.context(user, roundId, organisationId)
      for (const criterion of criteria) {
        const saved = latest.answers.get(criterion.code)
        Object.assign(typed.get(criterion.code)!, { version: String(saved?.version ?? 0), base: fingerprint(saved) })
      }
      const conflicts = error.conflicts.map((c) => ({ ...c, theirs: latest.answers.get(c.criterion.code) }))
      return { kind: 'conflict', typed, conflicts }
    }
  }

  /** Submits the organisation's answers with the declaration; every domain must be complete. */
  async submit(actor: Actor, roundId: number, organisationId: number, input: { declaration: boolean }): Promise<string> {
    const user = actor.user
    const ctx = await this.context(user, roundId, organisationId)
    if (!ctx.canEdit) throw new NotFoundError()
    if (!ctx.isOpen)
      throw new ValidationError([{ text: 'This round has closed, so answers can no longer be submitted', href: '#declaration' }])
    if (ctx.submitted) return ctx.response!.reference ?? responseReference(roundId, organisationId)
    const errors: FormError[] = this.domainSummaries(ctx)
      .filter((d) => d.status !== 'completed')
      .map((d) => ({ text: `Complete ${d.title} before you submit`, href: '#declaration' }))
    if (!input.declaration)
      errors.push({ text: `Confirm that these answers reflect the view of ${ctx.organisation.name}`, href: '#declaration' })
    if (errors.length > 0) throw new ValidationError(errors)
    const reference = responseReference(roundId, organisationId)
    const now = this.clock()
    await this.transact(async (trx) => {
      const responseId = await this.responses.ensureResponse(roundId, organisationId, now, trx)
      if (await this.responses.submit(responseId, user.id, reference, now, trx)) {
        await this.audit.record(
          actor,
          {
            kind: 'response.submitted',
            icsId: ctx.round.icsId,
            subjectType: 'response',
            subjectId: responseId,
            details: { reference, organisation: ctx.organisation.name },
          },
          trx,
        )
      }
    })
    await this.mailer.send({
      to: user.email,
      icsId: ctx.round.icsId,
      ...submissionConfirmation({
        recipientName: user.name,
        organisationName: ctx.organisation.name,
        placeName: ctx.organisation.placeName,
        roundTitle: ctx.round.title,
        reference,
      }),
    })
    return reference
  }

  async history(
    user: CurrentUser,
    roundId: number,
    organisationId: number,
    criterionCode: string,
  ): Promise<{ ctx: AssessmentContext; criterion: CriterionRow; entries: AnswerHistoryEntry[] }> {
    const ctx = await this.context(user, roundId, organisationId)
    const criterion = ctx.criteria.find((c) => c.code === criterionCode)
    if (!criterion) throw new NotFoundError()
    return { ctx, criterion, entries: ctx.response ? await this.audit.answerHistory(ctx.response.id, criterion.code) : [] }
  }
}
