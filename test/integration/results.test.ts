import ejs from 'ejs'
import { PlaceData, type PlaceRecord } from '../../server/data/places'
import { RoundData, type RoundRecord } from '../../server/data/rounds'
import type { Database } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { londonIsoDate } from '../../server/time/london'
import type { PlaceResults } from '../../server/results'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { recordQueries } from '../helpers/counts'
import { legacyPlaceResults } from '../helpers/legacyResults'
import { signIn } from '../helpers/session'

type Legacy = Awaited<ReturnType<typeof legacyPlaceResults>>

/** The read model's answer for a place, in the shape the place pages used to compute. */
function asLegacy(p: PlaceResults) {
  return {
    criteria: p.criteria.map((c) => ({
      criterion: c.criterion,
      spread: c.spread,
      position: c.position && {
        code: c.position.code,
        level: c.position.level,
        notSure: c.position.notSure,
        rationale: c.position.rationale,
        evidenceSummary: c.position.evidenceSummary,
        updatedAt: c.position.updatedAt,
        updatedByName: c.position.updatedByName,
      },
      moderation: c.moderation && {
        code: c.moderation.code,
        level: c.moderation.level,
        comment: c.moderation.comment,
        moderatedAt: c.moderation.moderatedAt,
        moderatedByName: c.moderation.moderatedByName,
      },
      used: c.used,
    })),
    completion: { submitted: p.completion.submitted, invited: p.completion.invited },
    placeReturn: p.placeReturn && {
      id: p.placeReturn.id,
      roundId: p.placeReturn.roundId,
      placeId: p.placeReturn.placeId,
      status: p.placeReturn.status,
      submittedAt: p.placeReturn.submittedAt,
      submittedByName: p.placeReturn.submittedByName,
    },
    readiness: p.readiness,
    decision: p.decision,
  }
}

/** Expects the read model to say, for one place, exactly what the old per-place computation said. */
function expectSameAsLegacy(p: PlaceResults, legacy: Legacy, latestRound: boolean, today: string) {
  const { framework: _, actions, ...rest } = legacy
  expect(asLegacy(p)).toEqual(rest)
  // The criterion-level verdicts are the engine's own, in framework order.
  expect(p.criteria.map((c) => c.result)).toEqual(legacy.readiness.criteria)
  if (latestRound) {
    // The place page listed every action of the place, overdue when not done and due before today.
    expect(p.plan.map(({ overdue: _o, carriedOver: _c, ...a }) => a)).toEqual(actions)
    expect(p.plan.map((a) => a.overdue)).toEqual(actions.map((a) => a.status !== 'done' && a.dueDate < today))
  }
}

describe('the results read model on the demo ICS', () => {
  let context: TestContext
  let rounds: RoundRecord[]
  let places: PlaceRecord[]

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    // The baseline and the current round; the next round the demo set up early has not opened, so it has no results.
    const ids = (await context
      .db('rounds')
      .where('opens_at', '<=', timestamp(context.clock.now()))
      .orderBy('closes_at')
      .pluck('id')) as number[]
    const roundData = new RoundData(context.db)
    rounds = await Promise.all(ids.map(async (id) => (await roundData.findRound(id))!))
    places = await new PlaceData(context.db).listPlaces(rounds[0]!.icsId)
  })
  afterAll(() => context.close())

  it('gives every place of both demo rounds what the place pages computed before, Wirral and every readiness outcome among them', async () => {
    const today = londonIsoDate(context.clock.now())
    const outcomes = new Set<number>()
    for (const [index, round] of rounds.entries()) {
      const results = (await context.services.results.round(round.id))!
      expect(results.places.map((p) => p.place)).toEqual(places)
      for (const p of results.places) {
        const legacy = await legacyPlaceResults(context.db, round, p.place)
        expectSameAsLegacy(p, legacy, index === rounds.length - 1, today)
        if (index === rounds.length - 1) outcomes.add(p.readiness.level)
      }
    }
    expect([...outcomes].sort()).toEqual([1, 2, 3])
    // The demo's baseline has moderation and decisions, so the comparison covered them.
    const baseline = (await context.services.results.round(rounds[0]!.id))!
    expect(baseline.places.some((p) => p.criteria.some((c) => c.used.source === 'moderation'))).toBe(true)
    expect(baseline.places.every((p) => p.decision !== undefined)).toBe(true)
  })

  it('feeds the place pages: the rendered return of Wirral and of a place at each outcome shows the old recommendation and explanation', async () => {
    const current = rounds[rounds.length - 1]!
    const icsLead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const chosen = new Map<string, PlaceRecord>([['wirral', places.find((p) => p.slug === 'wirral')!]])
    const legacies = new Map<number, Legacy>()
    for (const place of places) legacies.set(place.id, await legacyPlaceResults(context.db, current, place))
    for (const level of [1, 2, 3])
      chosen.set(
        `level-${level}`,
        places.find((p) => legacies.get(p.id)!.readiness.level === level)!,
      )
    for (const place of chosen.values()) {
      const legacy = legacies.get(place.id)!
      const page = await icsLead.get(`/rounds/${current.id}/places/${place.id}`)
      expect(page.status).toBe(200)
      expect(page.text).toContain(ejs.escapeXML(`Recommended: Level ${legacy.readiness.level} – ${legacy.readiness.outcome}`))
      for (const line of legacy.readiness.explanation) expect(page.text).toContain(ejs.escapeXML(line))
      expect(page.text).toContain(`<strong>${legacy.completion.submitted} of ${legacy.completion.invited}</strong>`)
      const view = await context.services.placeReturns.view(
        (await context.services.accounts.currentUser((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')).id))!,
        current.id,
        place.id,
      )
      const { framework: _, actions: _a, ...rest } = legacy
      expect(asLegacy(view)).toEqual(rest)
    }
  })

  it('finds the previous round of the same ICS, and none before the first', async () => {
    expect((await context.services.results.previousRound(rounds[1]!.id))?.id).toBe(rounds[0]!.id)
    expect(await context.services.results.previousRound(rounds[0]!.id)).toBeUndefined()
  })

  it('limits a place lead to their place: only it is read, and the comparison is over it alone', async () => {
    const wirral = places.find((p) => p.slug === 'wirral')!
    const all = (await context.services.results.round(rounds[1]!.id))!
    const scoped = (await context.services.results.round(rounds[1]!.id, { placeIds: [wirral.id] }))!
    expect(scoped.places).toHaveLength(1)
    expect(scoped.places[0]).toEqual(all.places.find((p) => p.place.id === wirral.id))
    expect(scoped.comparison.places).toBe(1)
    expect(scoped.comparison.criteria).toEqual(Object.fromEntries(scoped.places[0]!.criteria.map((c) => [c.criterion.code, c.used.level])))
    expect(all.comparison.places).toBe(places.length)
  })
})

const codes = ['AV1', 'AV2', 'AV3', 'LC1', 'LC2', 'LC3', 'LC4', 'DD1', 'DD2', 'DD3', 'DD4', 'GV1', 'GV2', 'GV3', 'GV4', 'GV5']

/**
 * An ICS of `placeCount` places with three partners each, in a closed baseline and an open
 * round: two partners per place submitted (levels varying by place, partner and criterion,
 * some "Not sure yet", some without evidence), one started; a place return with agreed
 * positions and a moderation, a decision and development actions for most places.
 */
async function buildIcs(db: Database, slug: string, placeCount: number, now: Date): Promise<{ icsId: number; roundIds: number[] }> {
  const at = timestamp(now)
  const [ics] = (await db('ics').insert({ name: `ICS ${slug}`, slug, created_at: at }, ['id'])) as Array<{ id: number }>
  const version = (await db('framework_versions as v')
    .join('frameworks as f', 'f.id', 'v.framework_id')
    .where('f.slug', 'cheshire-merseyside-place-development')
    .first('v.id')) as { id: number }
  const criteria = (await db('framework_criteria').where({ version_id: version.id }).orderBy('position').select('id', 'code')) as Array<{
    id: number
    code: string
  }>
  const day = 86_400_000
  const roundIds: number[] = []
  for (const [i, title] of ['Baseline', 'Current'].entries()) {
    const [round] = (await db('rounds').insert(
      {
        ics_id: ics!.id,
        framework_version_id: version.id,
        title,
        opens_at: timestamp(new Date(now.getTime() - (i === 0 ? 400 : 10) * day)),
        closes_at: timestamp(new Date(now.getTime() + (i === 0 ? -370 : 14) * day)),
        created_at: at,
      },
      ['id'],
    )) as Array<{ id: number }>
    roundIds.push(round!.id)
  }
  for (let p = 0; p < placeCount; p++) {
    const [place] = (await db('places').insert(
      { ics_id: ics!.id, name: `Place ${String(p).padStart(2, '0')}`, slug: `place-${p}`, created_at: at },
      ['id'],
    )) as Array<{ id: number }>
    const organisationIds: number[] = []
    for (let o = 0; o < 3; o++) {
      const [org] = (await db('organisations').insert({ place_id: place!.id, name: `Partner ${o}`, kind: 'council', created_at: at }, [
        'id',
      ])) as Array<{
        id: number
      }>
      organisationIds.push(org!.id)
    }
    for (const [r, roundId] of roundIds.entries()) {
      await db('round_places').insert({ round_id: roundId, place_id: place!.id })
      const answers: Array<Record<string, unknown>> = []
      for (const [o, organisationId] of organisationIds.entries()) {
        const submitted = o < 2
        const [response] = (await db('responses').insert(
          {
            round_id: roundId,
            organisation_id: organisationId,
            status: submitted ? 'submitted' : 'in_progress',
            submitted_at: submitted ? at : null,
            reference: submitted ? `REF-${roundId}-${organisationId}` : null,
            created_at: at,
            updated_at: at,
          },
          ['id'],
        )) as Array<{ id: number }>
        for (const [c, criterion] of criteria.entries()) {
          const value = (p * 3 + o * 2 + c + r) % 5
          answers.push({
            response_id: response!.id,
            criterion_id: criterion.id,
            level: value === 0 ? null : value,
            not_sure: value === 0,
            evidence: (p + c) % 3 === 0 ? null : `Evidence ${p}/${o}/${criterion.code}`,
            updated_at: at,
          })
        }
      }
      await db.batchInsert('answers', answers, 100)
      if (p % 4 === 3) continue
      const [placeReturn] = (await db('place_returns').insert(
        {
          round_id: roundId,
          place_id: place!.id,
          status: p % 2 === 0 ? 'submitted' : 'draft',
          submitted_at: p % 2 === 0 ? at : null,
          created_at: at,
          updated_at: at,
        },
        ['id'],
      )) as Array<{ id: number }>
      await db('place_positions').insert(
        criteria
          .filter((_, c) => (c + p) % 3 !== 0)
          .map((criterion, c) => ({
            place_return_id: placeReturn!.id,
            criterion_id: criterion.id,
            level: ((c + p) % 4) + 1,
            not_sure: false,
            rationale: `Agreed ${criterion.code}`,
            evidence_summary: (c + p) % 2 === 0 ? `Summary ${criterion.code}` : null,
            updated_at: at,
          })),
      )
      await db('moderations').insert({
        place_return_id: placeReturn!.id,
        criterion_id: criteria[p % 16]!.id,
        level: 3,
        comment: 'Moderated',
        moderated_at: at,
      })
      await db('delegation_decisions').insert({
        round_id: roundId,
        place_id: place!.id,
        recommended_level: 1,
        decided_level: (p % 3) + 1,
        rationale: 'Decided',
        decided_on: '2021-11-30',
        deciding_body: 'ICB Board',
        recommendation_snapshot: JSON.stringify(['Recommended: Level 1']),
        recorded_at: at,
      })
      await db('development_actions').insert(
        ['not_started', 'done'].map((status, a) => ({
          place_id: place!.id,
          round_id: roundId,
          criterion_code: codes[(p + a) % 16],
          description: `Action ${a} of round ${r}`,
          owner_organisation_id: organisationIds[a],
          due_date: a === 0 ? '2020-01-31' : '2030-06-30',
          status,
          created_at: at,
          updated_at: at,
        })),
      )
    }
  }
  return { icsId: ics!.id, roundIds }
}

describe('the results read model makes a fixed number of queries', () => {
  let context: TestContext
  let small: { icsId: number; roundIds: number[] }
  let large: { icsId: number; roundIds: number[] }

  beforeAll(async () => {
    context = await createTestContext()
    small = await buildIcs(context.db, 'nine', 9, context.clock.now())
    large = await buildIcs(context.db, 'fifty', 50, context.clock.now())
  })
  afterAll(() => context.close())

  it('reads a round of 9 places and a round of 50 with the same number of queries, and gets every place right', async () => {
    const nine = await recordQueries(context.db, () => context.services.results.round(small.roundIds[1]!))
    const fifty = await recordQueries(context.db, () => context.services.results.round(large.roundIds[1]!))
    expect(nine.result!.places).toHaveLength(9)
    expect(fifty.result!.places).toHaveLength(50)
    expect(fifty.queries.length).toBe(nine.queries.length)
    expect(nine.queries.length).toBeLessThanOrEqual(10)

    const round = (await new RoundData(context.db).findRound(large.roundIds[1]!))!
    const today = londonIsoDate(context.clock.now())
    for (const p of fifty.result!.places) expectSameAsLegacy(p, await legacyPlaceResults(context.db, round, p.place), true, today)
    // The synthetic data reaches every source of a level and the partner spread's edge cases.
    const criteria = fifty.result!.places.flatMap((p) => p.criteria)
    expect(new Set(criteria.map((c) => c.used.source))).toEqual(new Set(['moderation', 'place', 'partners']))
    expect(criteria.some((c) => c.spread.disagreement)).toBe(true)
    expect(criteria.some((c) => c.spread.notSure > 0)).toBe(true)
  })

  it('reads several rounds, or every round of an ICS, in the same fixed number of queries', async () => {
    const one = await recordQueries(context.db, () => context.services.results.rounds([large.roundIds[1]!]))
    const both = await recordQueries(context.db, () => context.services.results.rounds(large.roundIds))
    const across = await recordQueries(context.db, () => context.services.results.acrossIcs(small.icsId))
    expect(both.queries.length).toBe(one.queries.length)
    expect(across.queries.length).toBe(one.queries.length + 1)
    expect(both.result.map((r) => r.round.id)).toEqual(large.roundIds)
    expect(across.result.map((r) => r.round.id)).toEqual(small.roundIds)
    // Each round's results are the same whether read alone or together.
    expect(both.result[1]).toEqual(one.result[0])
    expect(both.result[0]).toEqual(await context.services.results.round(large.roundIds[0]!))
  })

  it('scopes to a set of places in the same number of queries', async () => {
    const placeIds = ((await context.db('places').where({ ics_id: large.icsId }).orderBy('name').pluck('id')) as number[]).slice(0, 3)
    const all = await recordQueries(context.db, () => context.services.results.round(large.roundIds[1]!))
    const scoped = await recordQueries(context.db, () => context.services.results.round(large.roundIds[1]!, { placeIds }))
    expect(scoped.queries.length).toBe(all.queries.length)
    expect(scoped.result!.places.map((p) => p.place.id)).toEqual(placeIds)
    expect(scoped.result!.places).toEqual(all.result!.places.slice(0, 3))
  })

  it('plans carry open and done actions from the earlier round, marked as carried over', async () => {
    const results = (await context.services.results.round(small.roundIds[1]!))!
    const withPlan = results.places.find((p) => p.plan.length > 0)!
    expect(withPlan.plan.filter((a) => a.carriedOver).map((a) => a.roundId)).toEqual([small.roundIds[0], small.roundIds[0]])
    const baseline = (await context.services.results.round(small.roundIds[0]!))!
    expect(baseline.places.find((p) => p.place.id === withPlan.place.id)!.plan.every((a) => !a.carriedOver)).toBe(true)
  })
})
