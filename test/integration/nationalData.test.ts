import { hashPassword } from '../../server/auth/passwords'
import { PlaceData } from '../../server/data/places'
import { RoundData } from '../../server/data/rounds'
import {
  generateNationalData,
  NationalDataError,
  placesPerIcs,
  seededRandom,
  type NationalDataOptions,
} from '../../server/ops/nationalData'
import { createTestContext, type TestContext } from '../helpers/app'
import { countAll } from '../helpers/counts'
import { createTestDatabase } from '../helpers/database'
import { signIn } from '../helpers/session'

const password = 'national-test-password'
const small = { icsCount: 3, placeCount: 12, organisationCount: 40, roundsPerIcs: 2, seed: 7 }

describe('national-scale data generator (scaled down)', () => {
  let context: TestContext
  let options: NationalDataOptions
  let summary: Awaited<ReturnType<typeof generateNationalData>>

  beforeAll(async () => {
    context = await createTestContext()
    options = { ...small, passwordHash: await hashPassword(password), now: context.clock.now() }
    summary = await generateNationalData(context.db, options)
  })
  afterAll(() => context.close())

  it('creates the ICSs, places, organisations, users, rounds and answers asked for', async () => {
    const counts = await countAll(context.db, [
      'ics',
      'places',
      'organisations',
      'users',
      'memberships',
      'invitations',
      'rounds',
      'round_places',
      'responses',
      'answers',
      'response_domains',
      'delegation_decisions',
    ])
    expect(counts).toEqual({
      ics: 3,
      places: 12,
      organisations: 40,
      // An ICS lead and a board viewer per ICS, a place lead per place, a partner per organisation.
      users: 3 * 2 + 12 + 40,
      memberships: 58,
      invitations: 58,
      rounds: 3 * 2,
      round_places: 12 * 2,
      responses: 40 * 2,
      answers: 40 * 2 * 16,
      response_domains: 40 * 2 * 4,
      // One closed round per ICS, every place decided in it.
      delegation_decisions: 12,
    })
    expect(summary.counts.answers).toBe(40 * 2 * 16)
    const roles = (await context.db('memberships').groupBy('role').select('role').count({ n: '*' })) as Array<{ role: string; n: unknown }>
    expect(Object.fromEntries(roles.map((r) => [r.role, Number(r.n)]))).toEqual({ ics_lead: 3, viewer: 3, place_lead: 12, partner: 40 })
  })

  it('closes every round but the last, where every response is submitted and every place returned and decided', async () => {
    const rounds = (await context.db('rounds').orderBy('id').select('id', 'closes_at')) as Array<{ id: number; closes_at: string }>
    const closed = rounds.filter((r) => new Date(r.closes_at) < context.clock.now()).map((r) => r.id)
    expect(closed).toHaveLength(3)
    const unsubmitted = await context.db('responses').whereIn('round_id', closed).whereNot('status', 'submitted').count({ n: '*' }).first()
    expect(Number((unsubmitted as { n: unknown }).n)).toBe(0)
    const returns = await context.db('place_returns').whereIn('round_id', closed).where('status', 'submitted').count({ n: '*' }).first()
    expect(Number((returns as { n: unknown }).n)).toBe(12)
  })

  it('records decisions whose recommendation is what the readiness engine computes from the stored returns', async () => {
    const decisions = (await context.db('delegation_decisions').select('round_id', 'place_id', 'recommended_level')) as Array<{
      round_id: number
      place_id: number
      recommended_level: number
    }>
    const rounds = new RoundData(context.db)
    const places = new PlaceData(context.db)
    for (const d of decisions) {
      const results = await context.services.placeReturns.results(
        (await rounds.findRound(d.round_id))!,
        (await places.findPlace(d.place_id))!,
      )
      expect(results.readiness.level).toBe(d.recommended_level)
    }
  })

  it('makes the first ICS the largest, and signs its users in with the known password', async () => {
    expect(summary.largest.slug).toBe('generated-ics-01')
    expect(summary.ics.reduce((sum, i) => sum + i.places, 0)).toBe(12)
    expect(Math.max(...summary.ics.slice(1).map((i) => i.places))).toBeLessThan(summary.largest.places)
    const partner = await signIn(context.app, summary.sample.partnerEmail, password)
    const page = await partner.get(`/rounds/${summary.openRoundId}/organisations/${summary.sample.organisationId}/domains/AV`)
    expect(page.status).toBe(200)
    const lead = await signIn(context.app, summary.largest.icsLeadEmail, password)
    expect((await lead.get(`/rounds/${summary.openRoundId}/places/${summary.sample.placeId}`)).status).toBe(200)
  })

  it('refuses to add the data twice', async () => {
    await expect(generateNationalData(context.db, options)).rejects.toThrow(NationalDataError)
    expect(await countAll(context.db, ['ics'])).toEqual({ ics: 3 })
  })

  it('writes the same data for the same seed', async () => {
    const other = await createTestDatabase()
    try {
      await generateNationalData(other.db, options)
      const digest = (db: typeof context.db) =>
        db('answers as a')
          .join('responses as r', 'r.id', 'a.response_id')
          .join('organisations as o', 'o.id', 'r.organisation_id')
          .orderBy(['o.name', 'r.round_id', 'a.criterion_id'])
          .select('o.name', 'r.status', 'a.level', 'a.evidence', 'a.target_level')
      expect(await digest(other.db)).toEqual(await digest(context.db))
    } finally {
      await other.destroy()
    }
  })
})

describe('places per ICS', () => {
  it('spreads 200 places over 42 ICSs with a largest ICS and one of 9 places', () => {
    const sizes = placesPerIcs(42, 200, seededRandom(1))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200)
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1)
    expect(sizes[0]).toBe(14)
    expect(sizes[1]).toBe(9)
    expect(Math.max(...sizes.slice(1))).toBeLessThan(14)
  })

  it('refuses fewer places than ICSs', () => {
    expect(() => placesPerIcs(5, 4, seededRandom(1))).toThrow(NationalDataError)
  })
})

it('fills a database that has only been migrated, with one round open', async () => {
  const database = await createTestDatabase()
  try {
    const result = await generateNationalData(database.db, {
      icsCount: 1,
      placeCount: 1,
      organisationCount: 2,
      roundsPerIcs: 1,
      passwordHash: 'x',
    })
    expect(result.counts.answers).toBe(2 * 16)
    expect(result.counts.decisions).toBe(0)
  } finally {
    await database.destroy()
  }
})
