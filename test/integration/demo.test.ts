import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { demoIcs, demoPlaces, demoUsers } from '../../server/demo/demoData'
import { baselineRoundTitle, seedDemo } from '../../server/demo/seed'
import { timestamp } from '../../server/db/values'
import { createLogger } from '../../server/logger'
import { createServices } from '../../server/services'
import { PlaceData } from '../../server/data/places'
import { RoundData } from '../../server/data/rounds'
import { countAll } from '../helpers/counts'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

const tables = [
  'ics',
  'places',
  'organisations',
  'users',
  'memberships',
  'rounds',
  'round_places',
  'responses',
  'answers',
  'frameworks',
  'framework_versions',
  'framework_criteria',
]
const now = new Date('2026-11-22T10:00:00Z')

describe('demo seeding', () => {
  let database: TestDatabase
  const logger = createLogger('silent')
  const config = loadConfig({ NODE_ENV: 'test', DEMO: 'on' })

  beforeEach(async () => {
    database = await createTestDatabase()
  })
  afterEach(() => database.destroy())

  async function start() {
    return prepareDatabase(database.db, createServices(database.db, config, logger), config, logger, { now })
  }

  it('creates the demo ICS, its 9 places, partners and users', async () => {
    await start()
    const ics = await database.db('ics').where({ slug: demoIcs.slug }).first()
    expect(ics.name).toBe('Cheshire and Merseyside (demo)')
    const places = (await database.db('places').where({ ics_id: ics.id }).orderBy('name').pluck('name')) as string[]
    expect(places).toEqual([
      'Cheshire East',
      'Cheshire West and Chester',
      'Halton',
      'Knowsley',
      'Liverpool',
      'Sefton',
      'St Helens',
      'Warrington',
      'Wirral',
    ])
    const perPlace = (await database.db('organisations').groupBy('place_id').select('place_id').count({ n: '*' })) as Array<{ n: unknown }>
    expect(perPlace.every((p) => Number(p.n) >= 5 && Number(p.n) <= 8)).toBe(true)
    // The demo logins, and Wirral's contacts (partners who cannot sign in: they have no password).
    const users = (await database.db('users').orderBy('email').select('email', 'password_hash')) as Array<{
      email: string
      password_hash: string | null
    }>
    const logins = demoUsers.map((u) => u.email)
    expect(users.filter((u) => logins.includes(u.email)).map((u) => u.email)).toEqual([...logins].sort())
    const contacts = users.filter((u) => !logins.includes(u.email))
    expect(contacts.length).toBeGreaterThan(0)
    expect(contacts.every((u) => u.password_hash === null && u.email.endsWith('.example.org'))).toBe(true)
    const partner = await database
      .db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .join('organisations as o', 'o.id', 'm.organisation_id')
      .where('u.email', 'partner.wirral.council@example.org')
      .first('m.role', 'o.name')
    expect(partner).toEqual({ role: 'partner', name: 'Wirral Council' })
  })

  it('has a closed baseline round and an open round, both on a locked framework version', async () => {
    await start()
    const rounds = (await database.db('rounds').orderBy('opens_at').select('title', 'closes_at', 'framework_version_id')) as Array<{
      title: string
      closes_at: unknown
      framework_version_id: number
    }>
    // And the next round, set up early: upcoming, copied from the current one.
    expect(rounds.map((r) => r.title)).toEqual([
      baselineRoundTitle,
      'Place development self-assessment, December 2026',
      'Place development self-assessment, January 2027 (next round)',
    ])
    expect(new Date(String(rounds[1]!.closes_at)).getTime()).toBeGreaterThan(now.getTime())
    const version = await database.db('framework_versions').where({ id: rounds[0]!.framework_version_id }).first('locked_at')
    expect(version.locked_at).not.toBeNull()
    const baselineResponses = await database
      .db('responses as r')
      .join('rounds as o', 'o.id', 'r.round_id')
      .where('o.title', baselineRoundTitle)
      .pluck('r.status')
    expect(baselineResponses.length).toBe(demoPlaces.reduce((n, p) => n + p.organisations.length, 0))
    expect(new Set(baselineResponses)).toEqual(new Set(['submitted']))
  })

  it('is idempotent: seeding twice gives identical counts', async () => {
    await start()
    const first = await countAll(database.db, tables)
    await start()
    await seedDemo(database.db, { now: new Date('2027-03-01T10:00:00Z') })
    expect(await countAll(database.db, tables)).toEqual(first)
    expect(first.places).toBe(9)
  })

  it('gives deterministic sample answers', async () => {
    await start()
    const snapshot = async (db: TestDatabase) =>
      db
        .db('answers as a')
        .join('responses as r', 'r.id', 'a.response_id')
        .join('organisations as o', 'o.id', 'r.organisation_id')
        .join('framework_criteria as c', 'c.id', 'a.criterion_id')
        .orderBy(['o.name', 'r.round_id', 'c.code'])
        .select('o.name', 'r.round_id', 'c.code', 'a.level', 'a.not_sure', 'a.evidence')
    const other = await createTestDatabase()
    try {
      await prepareDatabase(other.db, createServices(other.db, config, logger), config, logger, { now })
      expect(await snapshot(other)).toEqual(await snapshot(database))
    } finally {
      await other.destroy()
    }
  })

  it('shows every readiness outcome in the open round, and a decided baseline with a plan', async () => {
    const prepared = await start()
    expect(prepared.demoSeeded).toBe(true)
    const services = createServices(database.db, config, logger, () => now)
    const rounds = (await database.db('rounds').orderBy('opens_at').pluck('id')) as number[]
    const round = (await new RoundData(database.db).findRound(rounds[1]!))!
    const places = await new PlaceData(database.db).listPlaces(round.icsId)
    const levels = new Set<number>()
    for (const place of places) {
      const results = await services.placeReturns.results(round, place)
      levels.add(results.readiness.level)
    }
    expect([...levels].sort()).toEqual([1, 2, 3])
    const decisions = (await database
      .db('delegation_decisions')
      .where({ round_id: rounds[0] })
      .select('recommended_level', 'decided_level')) as Array<{ recommended_level: number; decided_level: number }>
    expect(decisions).toHaveLength(9)
    expect(decisions.filter((d) => d.decided_level !== d.recommended_level)).toHaveLength(1)
    expect((await countAll(database.db, ['moderations', 'development_actions'])).moderations).toBe(2)
  })

  it('never seeds into a database that holds a real ICS', async () => {
    await database.db('ics').insert({ name: 'A real ICS', slug: 'real', created_at: timestamp() })
    const result = await start()
    expect(result.demoSeeded).toBe(false)
    expect((await countAll(database.db, ['ics', 'places'])).places).toBe(0)
  })
})
