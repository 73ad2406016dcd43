import { canDownloadPlaceReport, canDownloadSystemReport, canPublishResults } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import { PlaceData, type PlaceRecord } from '../data/places'
import { ReportData, type Publication } from '../data/reports'
import { RoundData, type RoundRecord } from '../data/rounds'
import type { Database } from '../db/connection'
import { NotFoundError, ValidationError } from '../errors'
import type { ReportDocument } from '../reports/model'
import { placeReport } from '../reports/placeReport'
import { systemReport } from '../reports/systemReport'
import { fileName } from '../reports/wording'
import type { ResultsReadModel } from '../results'
import type { AuditService } from './auditService'

export interface Report {
  fileName: string
  document: ReportDocument
}

export interface RoundReportsView {
  round: RoundRecord
  icsName: string
  publication: Publication
  /** The round has closed, so its results may be published. */
  closed: boolean
  canPublish: boolean
  systemReport: boolean
  /** The places whose reports this user may download, by name. */
  places: Array<{ id: number; name: string }>
}

/**
 * Board reports and the publication of a round's results. Reports are built from the results
 * read model (server/results) as plain documents; routes stream them as PDFs. Who may download
 * what is decided in server/auth/access.ts: before publication only ICS leads and the place's own
 * place lead; after it, board viewers too. Anyone else is told "not found".
 */
export interface ReportLinks {
  systemReport: boolean
  reportsPage: boolean
  draft: boolean
}

/**
 * The report links of a round for this user, from what a page already holds: the round's ICS,
 * whether its results are published, and the places taking part.
 */
export function reportLinksFor(user: CurrentUser, icsId: number, published: boolean, places: ReadonlyArray<{ id: number }>): ReportLinks {
  const systemReport = canDownloadSystemReport(user, icsId, published)
  return {
    systemReport,
    reportsPage: systemReport || places.some((p) => canDownloadPlaceReport(user, { id: p.id, icsId }, published)),
    draft: !published,
  }
}

export class ReportService {
  private readonly data: ReportData
  private readonly places: PlaceData
  private readonly rounds: RoundData

  constructor(
    private readonly db: Database,
    private readonly results: ResultsReadModel,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
    private readonly marking: string,
  ) {
    this.data = new ReportData(db)
    this.places = new PlaceData(db)
    this.rounds = new RoundData(db)
  }

  private async roundAndPublication(roundId: number): Promise<{ round: RoundRecord; publication: Publication }> {
    const [round, publication] = await Promise.all([this.rounds.findRound(roundId), this.data.publication(roundId)])
    if (!round || !publication) throw new NotFoundError()
    return { round, publication }
  }

  private async icsName(icsId: number): Promise<string> {
    return (await this.places.findIcs(icsId))?.name ?? ''
  }

  async placeReport(user: CurrentUser, roundId: number, placeId: number): Promise<Report> {
    const [{ round, publication }, place] = await Promise.all([this.roundAndPublication(roundId), this.places.findPlace(placeId)])
    if (!place || place.icsId !== round.icsId || !canDownloadPlaceReport(user, place, publication.publishedAt !== null)) {
      throw new NotFoundError()
    }
    const scope = { placeIds: [place.id] }
    const [results, previousRound, participants, evidence, icsName] = await Promise.all([
      this.results.round(round.id, scope),
      this.results.previousRound(round.id),
      this.data.participants(round.id, place.id),
      this.data.partnerEvidence(round.id, place.id),
      this.icsName(round.icsId),
    ])
    const placeResults = results?.places.find((p) => p.place.id === place.id)
    if (!results || !placeResults) throw new NotFoundError()
    const previousResults = previousRound ? await this.results.round(previousRound.id, scope) : undefined
    const previousPlace = previousResults?.places.find((p) => p.place.id === place.id)
    const document = placeReport({
      icsName,
      round: results,
      place: placeResults,
      previous: previousResults && previousPlace ? { round: previousResults, place: previousPlace } : undefined,
      participants,
      evidence,
      publication,
      marking: this.marking,
      generatedAt: this.clock(),
    })
    return { fileName: fileName(place.name, 'place report', round.title), document }
  }

  async systemReport(user: CurrentUser, roundId: number): Promise<Report> {
    const { round, publication } = await this.roundAndPublication(roundId)
    if (!canDownloadSystemReport(user, round.icsId, publication.publishedAt !== null)) throw new NotFoundError()
    const [results, previousRound, icsName] = await Promise.all([
      this.results.round(round.id),
      this.results.previousRound(round.id),
      this.icsName(round.icsId),
    ])
    if (!results) throw new NotFoundError()
    const previous = previousRound ? await this.results.round(previousRound.id) : undefined
    const document = systemReport({ icsName, round: results, previous, publication, marking: this.marking, generatedAt: this.clock() })
    return { fileName: fileName(icsName, 'system report', round.title), document }
  }

  /** The round's reports as this user may see them; "not found" when there are none for them. */
  async roundReports(user: CurrentUser, roundId: number): Promise<RoundReportsView> {
    const { round, publication } = await this.roundAndPublication(roundId)
    const published = publication.publishedAt !== null
    const taking = await this.rounds.placesInRound(round.id)
    const places = taking.filter((p) => canDownloadPlaceReport(user, { id: p.id, icsId: round.icsId }, published))
    const system = canDownloadSystemReport(user, round.icsId, published)
    if (!system && places.length === 0) throw new NotFoundError()
    const deadline = round.extendedUntil ?? round.closesAt
    return {
      round,
      icsName: await this.icsName(round.icsId),
      publication,
      closed: this.clock() >= deadline,
      canPublish: canPublishResults(user, round.icsId),
      systemReport: system,
      places,
    }
  }

  /** For other pages of a round: whether this user may download its system report, and whether it has a reports page for them. */
  async reportLinks(user: CurrentUser, roundId: number): Promise<ReportLinks> {
    const [round, publication] = await Promise.all([this.rounds.findRound(roundId), this.data.publication(roundId)])
    if (!round || !publication) return { systemReport: false, reportsPage: false, draft: false }
    return reportLinksFor(user, round.icsId, publication.publishedAt !== null, await this.rounds.placesInRound(round.id))
  }

  /** The place reports this user may download, newest round first, each marked when it is still a draft. */
  async placeReports(user: CurrentUser, place: PlaceRecord): Promise<Array<{ roundId: number; title: string; draft: boolean }>> {
    return this.placeReportsOf(user, place, await this.data.roundsOfPlace(place.id))
  }

  /** The same, from the place's rounds already read (newest first), as the place page has them. */
  placeReportsOf(
    user: CurrentUser,
    place: PlaceRecord,
    rounds: Array<{ roundId: number; title: string; published: boolean }>,
  ): Array<{ roundId: number; title: string; draft: boolean }> {
    return rounds
      .filter((r) => canDownloadPlaceReport(user, place, r.published))
      .map((r) => ({ roundId: r.roundId, title: r.title, draft: !r.published }))
  }

  /**
   * Publishes a round's results, so board viewers can read its reports and they lose the DRAFT
   * mark. Only once the round has closed, and only with the ICS lead's confirmation; audited.
   */
  async publish(actor: Actor, roundId: number, input: { confirm: boolean }): Promise<void> {
    const { round, publication } = await this.roundAndPublication(roundId)
    if (!canPublishResults(actor.user, round.icsId)) throw new NotFoundError()
    if (publication.publishedAt) return
    const deadline = round.extendedUntil ?? round.closesAt
    if (this.clock() < deadline) {
      throw new ValidationError([{ text: 'You can publish the results once the round has closed', href: '#confirm' }])
    }
    if (!input.confirm) throw new ValidationError([{ text: 'Confirm that the results are ready for board viewers', href: '#confirm' }])
    await this.db.transaction(async (trx) => {
      if (await this.data.publish(round.id, actor.user.id, this.clock(), trx)) {
        await this.audit.record(
          actor,
          {
            kind: 'results.published',
            icsId: round.icsId,
            subjectType: 'round',
            subjectId: round.id,
            details: { title: round.title },
          },
          trx,
        )
      }
    })
  }
}
