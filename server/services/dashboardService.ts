import { resultsScope } from '../auth/access'
import type { CurrentUser, Membership } from '../auth/types'
import type { Database } from '../db/connection'
import { PartnerProgressData, type PartnerProgressRow } from '../data/partnerProgress'
import { ResultsVersionData } from '../data/resultsVersion'
import { PlaceData } from '../data/places'
import { ReportData } from '../data/reports'
import { RoundData } from '../data/rounds'
import { BoundedCache } from '../boundedCache'
import { parseFilters } from '../dashboard/filters'
import { buildDashboard, roundLabel, type DashboardSummary, type DashboardView } from '../dashboard/model'
import { NotFoundError } from '../errors'
import type { PlaceResults, ResultsReadModel, RoundResults } from '../results'
import { daysLeft } from '../time/london'

export interface RoundLink {
  id: number
  title: string
  label: string
}

export interface DashboardPage {
  view: DashboardView
  /** Every round of the ICS, newest first, for moving between dashboards. */
  rounds: RoundLink[]
  /**
   * Everything this page depends on: the round, the scope, the query, the state of the ICS's
   * results in the database and the minute. Two requests with the same key get the same page.
   */
  key: string
  /**
   * What the round's report links depend on besides the user: its ICS, whether its results are
   * published and the places taking part (rows the results' version covers, so kept with the page).
   */
  reportsOf: { icsId: number; published: boolean; places: Array<{ id: number }> }
}

/** How many dashboards and ICSs' results each process keeps (most recently used). */
const cachedPages = 100
const cachedIcsResults = 20

/** The ICS lead's home: where the current round stands. */
export interface IcsHome {
  membership: Membership
  round: RoundLink | null
  summary: DashboardSummary | null
}

/** The place lead's home: the place return and each partner's progress in the current round. */
export interface PlaceHome {
  membership: Membership
  round: (RoundLink & { deadline: Date; state: string; daysLeft: number }) | null
  placeReturn: { status: 'none' | 'draft' | 'submitted'; agreed: number; criteria: number } | null
  readiness: { level: number; outcome: string } | null
  partners: PartnerProgressRow[]
}

export interface PlacesOverviewRow {
  id: number
  name: string
  icsName: string
  latest: { round: RoundLink; state: string; level: number; outcome: string } | null
  decision: { round: RoundLink; level: number; outcome: string; decidedOn: string } | null
}

/** The current round of some rounds (oldest first): the newest open one, else the newest. */
function currentOf(rounds: RoundResults[]): RoundResults | undefined {
  const newestFirst = [...rounds].reverse()
  return newestFirst.find((r) => r.round.state === 'open') ?? newestFirst[0]
}

function linkOf(r: RoundResults): RoundLink {
  return { id: r.round.id, title: r.round.title, label: roundLabel(r.round) }
}

/**
 * The dashboard, the home pages' round summaries and the places overview: all read from the one
 * read model of results (server/results), scoped by access.ts's resultsScope.
 */
export class DashboardService {
  private readonly rounds: RoundData
  private readonly progress: PartnerProgressData
  private readonly places: PlaceData
  private readonly publications: ReportData
  private readonly versions: ResultsVersionData
  private readonly pages = new BoundedCache<string, Promise<DashboardPage>>(cachedPages)
  private readonly icsResults = new BoundedCache<string, Promise<RoundResults[]>>(cachedIcsResults)
  private readonly roundIcs = new BoundedCache<number, number>(1000)

  constructor(
    db: Database,
    private readonly results: ResultsReadModel,
    private readonly clock: () => Date,
  ) {
    this.rounds = new RoundData(db)
    this.progress = new PartnerProgressData(db)
    this.places = new PlaceData(db)
    this.publications = new ReportData(db)
    this.versions = new ResultsVersionData(db)
  }

  /**
   * Every round of an ICS from the read model, reused while the database's version of the
   * ICS's results (one read by key) and the minute are unchanged: a dashboard reads every round for its
   * trend, and reading them costs far more than checking whether anything changed. The minute is
   * in the key because the results say whether a round is open, which time alone changes.
   */
  private resultsOfIcs(icsId: number, stateKey: string): Promise<RoundResults[]> {
    return this.icsResults.shared(`${icsId}|${stateKey}`, () => this.results.acrossIcs(icsId))
  }

  /** The state of an ICS's results now: the version of its data and the minute. */
  private async stateOf(icsId: number, now: Date): Promise<string> {
    return `${await this.versions.forIcs(icsId)}|${Math.floor(now.getTime() / 60_000)}`
  }

  /** Every round of an ICS, oldest first, reused while nothing changed (see resultsOfIcs); the place pages read them too. */
  async roundsOfIcs(icsId: number): Promise<RoundResults[]> {
    return this.resultsOfIcs(icsId, await this.stateOf(icsId, this.clock()))
  }

  /**
   * A round's id and ICS. A round never moves to another ICS and ids are never reused, so this is
   * kept once read; a round since deleted is found missing from its ICS's results, whose version
   * its deletion moved.
   */
  private async roundOf(roundId: number): Promise<{ id: number; icsId: number } | undefined> {
    let icsId = this.roundIcs.get(roundId)
    if (icsId === undefined) {
      icsId = (await this.rounds.findRound(roundId))?.icsId
      if (icsId === undefined) return undefined
      this.roundIcs.set(roundId, icsId)
    }
    return { id: roundId, icsId }
  }

  /** A round's dashboard for this user, with the filters of the query string; not found outside their scope. */
  async dashboard(user: CurrentUser, roundId: number, query: Record<string, unknown>): Promise<DashboardPage> {
    const round = await this.roundOf(roundId)
    const scope = round && resultsScope(user, round.icsId)
    if (!round || !scope) throw new NotFoundError()
    const now = this.clock()
    const stateKey = await this.stateOf(round.icsId, now)
    const icsName = user.memberships.find((m) => m.icsId === round.icsId)?.icsName ?? ''
    const scopeKey = scope.kind === 'ics' ? 'ics' : scope.placeIds.join(',')
    const key = JSON.stringify([round.id, scopeKey, icsName, query, stateKey])
    return this.pages.shared(key, async () => {
      // Every place is read, even for a place lead: the ICS medians they compare with are over all of them.
      const [all, publication] = await Promise.all([this.resultsOfIcs(round.icsId, stateKey), this.publications.publication(round.id)])
      const current = all.find((r) => r.round.id === round.id)
      if (!current) throw new NotFoundError()
      const visible = scope.kind === 'ics' ? current.places : current.places.filter((p) => scope.placeIds.includes(p.place.id))
      if (scope.kind === 'place' && visible.length === 0) throw new NotFoundError()
      const history = all.filter((r) => r.round.closesAt.getTime() <= current.round.closesAt.getTime())
      const filters = parseFilters(query, {
        domainCodes: current.framework.domains.map((d) => d.code),
        readinessLevels: [1, 2, 3],
        placeIds: visible.map((p) => p.place.id),
      })
      const view = buildDashboard(
        {
          current,
          history,
          scope:
            scope.kind === 'ics'
              ? { kind: 'ics', name: icsName }
              : { kind: 'place', name: visible.map((p) => p.place.name).join(', '), placeIds: visible.map((p) => p.place.id) },
          filters,
          daysLeft: daysLeft(current.round.deadline, now),
        },
        `/rounds/${round.id}/dashboard`,
      )
      return {
        view,
        rounds: [...all].reverse().map(linkOf),
        key,
        reportsOf: {
          icsId: round.icsId,
          published: Boolean(publication?.publishedAt),
          places: current.places.map((p) => ({ id: p.place.id })),
        },
      }
    })
  }

  /** The round a dashboard link with no round opens: the newest open round the user can see, else the newest. */
  async defaultRoundId(user: CurrentUser): Promise<number | undefined> {
    const icsIds = [...new Set(user.memberships.filter((m) => resultsScope(user, m.icsId)).map((m) => m.icsId))]
    if (icsIds.length === 0) return undefined
    const rounds = await this.rounds.roundsForIcs(icsIds)
    const now = this.clock()
    return (rounds.find((r) => r.opensAt <= now && now < (r.extendedUntil ?? r.closesAt)) ?? rounds[0])?.id
  }

  async icsHome(user: CurrentUser, membership: Membership): Promise<IcsHome> {
    const current = currentOf(await this.roundsOfIcs(membership.icsId))
    if (!current) return { membership, round: null, summary: null }
    const view = buildDashboard(
      {
        current,
        history: [current],
        scope: { kind: 'ics', name: membership.icsName },
        filters: { domain: null, readiness: [], places: [], sort: 'place', compare: null },
        daysLeft: daysLeft(current.round.deadline, this.clock()),
      },
      `/rounds/${current.round.id}/dashboard`,
    )
    return { membership, round: linkOf(current), summary: view.summary }
  }

  async placeHome(membership: Membership): Promise<PlaceHome> {
    const placeId = membership.placeId!
    const takingPart = (await this.roundsOfIcs(membership.icsId)).filter((r) => r.places.some((p) => p.place.id === placeId))
    const current = currentOf(takingPart)
    const place = current?.places.find((p) => p.place.id === placeId)
    if (!current || !place) return { membership, round: null, placeReturn: null, readiness: null, partners: [] }
    return {
      membership,
      round: {
        ...linkOf(current),
        deadline: current.round.deadline,
        state: current.round.state,
        daysLeft: daysLeft(current.round.deadline, this.clock()),
      },
      placeReturn: {
        status: place.placeReturn?.status ?? 'none',
        agreed: place.criteria.filter((c) => c.position).length,
        criteria: place.criteria.length,
      },
      readiness: { level: place.readiness.level, outcome: place.readiness.outcome },
      partners: await this.progress.forRound(current.round.id, [placeId]),
    }
  }

  /** Each place the user may see, with its readiness in its latest round and its latest decision. */
  async placesOverview(user: CurrentUser): Promise<PlacesOverviewRow[]> {
    const icsIds = [...new Set(user.memberships.map((m) => m.icsId))]
    const rows: PlacesOverviewRow[] = []
    for (const icsId of icsIds) {
      const scope = resultsScope(user, icsId)
      if (!scope) continue
      const placeIds = scope.kind === 'place' ? scope.placeIds : undefined
      const [rounds, all] = await Promise.all([this.roundsOfIcs(icsId), this.places.listPlaces(icsId)])
      const icsName = user.memberships.find((m) => m.icsId === icsId)!.icsName
      // Every place in scope, including any that has not taken part in a round yet.
      const places = new Map<number, { name: string; at: Array<{ round: RoundResults; place: PlaceResults }> }>(
        all.filter((p) => !placeIds || placeIds.includes(p.id)).map((p) => [p.id, { name: p.name, at: [] }]),
      )
      for (const round of rounds) {
        for (const place of round.places) {
          if (placeIds && !placeIds.includes(place.place.id)) continue
          const entry = places.get(place.place.id) ?? { name: place.place.name, at: [] }
          entry.at.push({ round, place })
          places.set(place.place.id, entry)
        }
      }
      for (const [id, { name, at }] of places) {
        const latest = at[at.length - 1]
        const decided = [...at].reverse().find((a) => a.place.decision)
        rows.push({
          id,
          name,
          icsName,
          latest: latest
            ? {
                round: linkOf(latest.round),
                state: latest.round.round.state,
                level: latest.place.readiness.level,
                outcome: latest.place.readiness.outcome,
              }
            : null,
          decision: decided
            ? {
                round: linkOf(decided.round),
                level: decided.place.decision!.decidedLevel,
                outcome: decided.round.framework.outcomeNames[decided.place.decision!.decidedLevel as 1 | 2 | 3] ?? '',
                decidedOn: decided.place.decision!.decidedOn,
              }
            : null,
        })
      }
    }
    return rows.sort((a, b) => a.icsName.localeCompare(b.icsName) || a.name.localeCompare(b.name, 'en-GB'))
  }
}
