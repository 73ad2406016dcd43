import fs from 'node:fs'
import { hashPassword } from '../../server/auth/passwords'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { createDatabase, isPostgres, type Database } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { createLogger } from '../../server/logger'
import { answerSubjectId } from '../../server/services/auditService'
import { createServices } from '../../server/services'
import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { isRunning, startServerProcess, type ServerProcess, killIfRunning } from '../helpers/serverProcess'
import { csrfFrom, formFieldsOf } from '../helpers/session'

/**
 * The real server, killed with SIGKILL in the middle of a burst of saves and submissions,
 * then started again on the same database. Which requests were acknowledged before the kill
 * varies from run to run; what must hold does not: every acknowledged write is there, and no
 * write is there in part (each multi-row write is one transaction).
 */

jest.setTimeout(120_000)

const password = 'crash-test-password-42'
const domains: Record<string, string[]> = {
  AV: ['AV1', 'AV2', 'AV3'],
  LC: ['LC1', 'LC2', 'LC3', 'LC4'],
  DD: ['DD1', 'DD2', 'DD3', 'DD4'],
  GV: ['GV1', 'GV2', 'GV3', 'GV4', 'GV5'],
}
const savingOrganisations = 8
const submittingOrganisations = 4

/** A browser over real HTTP: keeps its cookies, follows no redirects. */
class Client {
  private readonly cookies = new Map<string, string>()
  constructor(private readonly port: number) {}

  async request(method: 'GET' | 'POST', path: string, form?: Record<string, string>, json = false): Promise<Response> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        Cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
        ...(json ? { Accept: 'application/json' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    })
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';')
      const at = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
    }
    return response
  }

  async signIn(email: string): Promise<void> {
    const page = await (await this.request('GET', '/sign-in')).text()
    const response = await this.request('POST', '/sign-in', { _csrf: csrfFrom(page), email, password })
    if (response.status !== 303) throw new Error(`Sign-in as ${email} failed: ${response.status}`)
  }

  async page(path: string): Promise<string> {
    const response = await this.request('GET', path)
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`)
    return response.text()
  }
}

interface Partner {
  email: string
  userId: number
  organisationId: number
  client: Client
}

interface Write {
  kind: 'save' | 'submit'
  partner: Partner
  code?: string
  evidence?: string
  send: () => Promise<Response>
}

const answerForm = (html: string) => ({ ...formFieldsOf(html, '<form method="post" action="/rounds/'), _csrf: csrfFrom(html) })

describe.each([
  ['one server process', 1],
  // Two workers writing to one SQLite file at once (each transaction must wait its turn, never fail).
  ['two cluster workers', 2],
])('a crash in the middle of a burst of writes, %s', (_name, workers) => {
  let database: TestDatabase
  let server: ServerProcess | undefined
  let checker: Database | undefined

  beforeEach(async () => {
    database = await createTestDatabase()
  })

  afterEach(async () => {
    await killIfRunning(server)
    server = undefined
    await checker?.destroy()
    checker = undefined
    await database.destroy()
  })

  it('loses no acknowledged write and leaves no write half done', async () => {
    // The demo, seeded now, plus partner users for organisations that have not submitted.
    const db = database.db
    const config = { ...loadConfig({ NODE_ENV: 'test', DEMO: 'on', DEMO_PASSWORD: password }), database: database.config }
    const logger = createLogger('silent')
    await prepareDatabase(db, createServices(db, config, logger), config, logger)
    const roundId = ((await db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
    const open = (await db('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOnVal('r.round_id', roundId))
      .where((q) => {
        q.whereNull('r.id').orWhere('r.status', 'in_progress')
      })
      .orderBy('o.id')
      .select('o.id', 'o.place_id', 'p.ics_id')) as Array<{ id: number; place_id: number; ics_id: number }>
    expect(open.length).toBeGreaterThanOrEqual(savingOrganisations + submittingOrganisations)
    const passwordHash = await hashPassword(password)
    const users: Array<{ email: string; userId: number; organisationId: number }> = []
    for (const [i, organisation] of open.slice(0, savingOrganisations + submittingOrganisations).entries()) {
      const email = `crash.partner.${i}@example.org`
      const [user] = (await db('users').insert(
        { email, name: `Crash Partner ${i}`, password_hash: passwordHash, is_active: true, created_at: timestamp() },
        ['id'],
      )) as Array<{ id: number }>
      await db('memberships').insert({
        user_id: user!.id,
        role: 'partner',
        ics_id: organisation.ics_id,
        place_id: organisation.place_id,
        organisation_id: organisation.id,
        created_at: timestamp(),
      })
      users.push({ email, userId: user!.id, organisationId: organisation.id })
    }
    // The server gets the database to itself: this connection is closed, not left open through the crash.
    await db.destroy()

    const env = {
      DEMO: 'on',
      DEMO_PASSWORD: password,
      SIGN_IN_RATE_LIMIT: '1000',
      REMINDER_INTERVAL_SECONDS: '0',
      WEB_CONCURRENCY: String(workers),
    }
    server = await startServerProcess(database, env)
    await waitUntilReady(server, workers)
    const partners: Partner[] = []
    for (const user of users) {
      const client = new Client(server.port)
      await client.signIn(user.email)
      partners.push({ ...user, client })
    }
    const savers = partners.slice(0, savingOrganisations)
    const submitters = partners.slice(savingOrganisations)
    const base = (p: Partner) => `/rounds/${roundId}/organisations/${p.organisationId}`

    // Submitters answer and complete every domain first, so that their submission is valid.
    for (const partner of submitters) {
      for (const [domain, codes] of Object.entries(domains)) {
        const form = answerForm(await partner.client.page(`${base(partner)}/domains/${domain}`))
        for (const code of codes) Object.assign(form, { [`level-${code}`]: '3', [`evidence-${code}`]: `Prepared evidence for ${code}.` })
        const done = await partner.client.request('POST', `${base(partner)}/domains/${domain}`, { ...form, action: 'complete' })
        expect(done.status).toBe(303)
      }
    }

    // The burst: every saver changes the evidence of each of its 16 criteria in its own
    // autosave request (each from the page as loaded, as 16 open tabs would); every submitter submits.
    const writes: Write[] = []
    for (const partner of savers) {
      for (const [domain, codes] of Object.entries(domains)) {
        const form = answerForm(await partner.client.page(`${base(partner)}/domains/${domain}`))
        for (const code of codes) {
          const evidence = `Evidence written in the burst by ${partner.email} for ${code}.`
          writes.push({
            kind: 'save',
            partner,
            code,
            evidence,
            send: () =>
              partner.client.request(
                'POST',
                `${base(partner)}/domains/${domain}`,
                { ...form, [`evidence-${code}`]: evidence, action: 'save' },
                true,
              ),
          })
        }
      }
    }
    for (const partner of submitters) {
      const token = csrfFrom(await partner.client.page(`${base(partner)}/check`))
      writes.push({
        kind: 'submit',
        partner,
        send: () => partner.client.request('POST', `${base(partner)}/submit`, { _csrf: token, declaration: 'yes' }),
      })
    }
    // In a fixed order: the saves interleaved across partners, the submissions spread evenly among them.
    const saves = writes.filter((w) => w.kind === 'save')
    const order = saves.map((write, i) => ({ write, key: (i * 7919) % saves.length })).sort((x, y) => x.key - y.key)
    for (const [i, write] of writes.filter((w) => w.kind === 'submit').entries())
      order.splice(Math.floor(((i + 0.5) * order.length) / submittingOrganisations), 0, { write, key: -1 })

    const acknowledged: Write[] = []
    const unexpected: string[] = []
    const killAfter = Math.floor(writes.length / 3)
    const running = server
    await Promise.allSettled(
      order.map(({ write }) =>
        write.send().then((response) => {
          if (response.status >= 200 && response.status < 400) {
            acknowledged.push(write)
            // Mid-burst: a third of the writes acknowledged, the rest queued or in flight.
            // Every process at once, as when the machine loses power or the container is killed.
            if (acknowledged.length === killAfter)
              for (const pid of [running.child.pid!, ...workerPids(running)]) process.kill(pid, 'SIGKILL')
          } else unexpected.push(`${write.kind} ${write.code ?? ''}: ${response.status}`)
        }),
      ),
    )
    expect(await running.exited).toBeNull()
    expect(running.child.signalCode).toBe('SIGKILL')
    for (const pid of workerPids(running)) expect(isAlive(pid)).toBe(false)
    expect(unexpected).toEqual([])
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter)
    expect(acknowledged.length).toBeLessThan(writes.length)

    // The database as the crash left it, opened afresh.
    checker = createDatabase(database.config)
    if (!isPostgres(checker)) {
      expect(await checker.raw('pragma integrity_check')).toEqual([{ integrity_check: 'ok' }])
      expect(await checker.raw('pragma foreign_key_check')).toEqual([])
    }
    await checkInvariants(checker, roundId, writes, acknowledged)

    // It starts again on the same database, and shows what was acknowledged.
    server = await startServerProcess(database, env)
    await waitUntilReady(server, workers)
    const again = new Client(server.port)
    const save = acknowledged.find((w) => w.kind === 'save')
    if (save) {
      await again.signIn(save.partner.email)
      const domain = Object.keys(domains).find((d) => domains[d]!.includes(save.code!))!
      expect(await again.page(`${base(save.partner)}/domains/${domain}`)).toContain(save.evidence!)
    }
    await checkInvariants(checker, roundId, writes, acknowledged)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })
})

/** Running and not a zombie (a killed worker whose parent has gone may wait a while to be reaped). */
function isAlive(pid: number): boolean {
  if (!isRunning(pid)) return false
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] !== 'Z'
  } catch {
    return true
  }
}

function workerPids(server: ServerProcess): number[] {
  return server.logs
    .filter((line) => line.msg === 'Worker listening' && typeof line.worker === 'number')
    .map((line) => line.worker as number)
}

async function waitUntilReady(server: ServerProcess, workers: number): Promise<void> {
  if (workers > 1) {
    await server.waitForLog(() => workerPids(server).length >= workers)
  } else await server.waitForLog((line) => String(line.msg).startsWith('PlaceReady is listening'))
  const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`)
  expect(ready.status).toBe(200)
}

async function checkInvariants(db: Database, roundId: number, writes: Write[], acknowledged: Write[]): Promise<void> {
  const organisationIds = [...new Set(writes.map((w) => w.partner.organisationId))]
  const responses = (await db('responses')
    .where('round_id', roundId)
    .whereIn('organisation_id', organisationIds)
    .select('id', 'organisation_id', 'status', 'submitted_at', 'submitted_by', 'reference')) as Array<{
    id: number
    organisation_id: number
    status: string
    submitted_at: unknown
    submitted_by: number | null
    reference: string | null
  }>
  const responseOf = new Map(responses.map((r) => [r.organisation_id, r]))
  const answers = (await db('answers as a')
    .join('framework_criteria as c', 'c.id', 'a.criterion_id')
    .whereIn(
      'a.response_id',
      responses.map((r) => r.id),
    )
    .select('a.response_id', 'c.code', 'a.evidence', 'a.version')) as Array<{
    response_id: number
    code: string
    evidence: string | null
    version: number
  }>
  const answerOf = new Map(answers.map((a) => [`${a.response_id}:${a.code}`, a]))
  const events = (await db('audit_events')
    .whereIn('kind', ['answer.changed', 'response.submitted'])
    .select('kind', 'subject_id', 'details')) as Array<{ kind: string; subject_id: string; details: string }>

  // Submissions: acknowledged ones are there in full; and every submission, acknowledged or
  // not, is whole: status, time, who, reference and its audit event, or none of them.
  for (const write of writes.filter((w) => w.kind === 'submit')) {
    const response = responseOf.get(write.partner.organisationId)!
    const event = events.find((e) => e.kind === 'response.submitted' && e.subject_id === String(response.id))
    if (acknowledged.includes(write)) expect(response.status).toBe('submitted')
    if (response.status === 'submitted') {
      expect(response.submitted_at).not.toBeNull()
      expect(response.submitted_by).toBe(write.partner.userId)
      expect(response.reference).toMatch(/^PR-/)
      expect(event).toBeDefined()
    } else {
      expect([response.status, response.submitted_at, event]).toEqual(['in_progress', null, undefined])
    }
  }

  // Saves: an acknowledged one is there; any burst evidence that is there has its audit
  // event, and any audit event of the burst has its answer.
  for (const write of writes.filter((w) => w.kind === 'save')) {
    const response = responseOf.get(write.partner.organisationId)
    const subject = response ? answerSubjectId(response.id, write.code!) : undefined
    const answer = response ? answerOf.get(`${response.id}:${write.code!}`) : undefined
    const event = events.find((e) => e.kind === 'answer.changed' && e.subject_id === subject && e.details.includes(write.evidence!))
    if (acknowledged.includes(write)) expect(answer?.evidence).toBe(write.evidence)
    expect(answer?.evidence === write.evidence).toBe(event !== undefined)
  }
}
