import { spawn } from 'node:child_process'
import path from 'node:path'
import { createTestContext, type TestContext } from '../helpers/app'
import { repositoryRoot } from '../helpers/serverProcess'
import { csrfFrom } from '../helpers/session'
import request from 'supertest'

const tsx = path.join(repositoryRoot, 'node_modules', '.bin', 'tsx')

/** `npm run ics:create -- …` as an operator runs it, against the test's database. */
function icsCreate(context: TestContext, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const config = context.database.config
  const databaseEnv =
    config.client === 'postgres' ? { DATABASE_URL: config.connectionString } : { DATABASE_FILE: config.filename, DATABASE_URL: '' }
  return new Promise((resolve) => {
    const child = spawn(tsx, [path.join(repositoryRoot, 'scripts', 'ics-create.ts'), ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, ...databaseEnv, SMTP_URL: '', BASE_URL: 'https://placeready.example.org', LOG_LEVEL: 'silent' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('npm run ics:create', () => {
  let context: TestContext
  beforeAll(async () => {
    context = await createTestContext({ demo: false })
  })
  afterAll(() => context.close())

  it('creates the ICS, invites its first ICS lead, prints the link while mail waits in the outbox, and audits it', async () => {
    const run = await icsCreate(context, ['--name', 'NHS Northshire Integrated Care System', '--lead', 'Jane.Smith@NHS.net'])
    expect(run).toMatchObject({ code: 0, stderr: '' })
    const link = /https:\/\/placeready\.example\.org\/invitations\/([A-Za-z0-9_-]+)/.exec(run.stdout)
    expect(link).not.toBeNull()
    expect(run.stdout).toContain('SMTP_URL is not set, so the invitation waits in the outbox')

    const ics = (await context.db('ics').first('id', 'name', 'slug', 'is_demo')) as {
      id: number
      name: string
      slug: string
      is_demo: unknown
    }
    expect(ics).toMatchObject({ name: 'NHS Northshire Integrated Care System', slug: 'nhs-northshire-integrated-care-system' })
    expect(await context.db('invitations').select('email', 'name', 'role', 'ics_id', 'place_id', 'organisation_id')).toEqual([
      { email: 'jane.smith@nhs.net', name: 'Jane Smith', role: 'ics_lead', ics_id: ics.id, place_id: null, organisation_id: null },
    ])
    const mail = (await context.db('outbox').first('to_address', 'ics_id', 'text_body', 'sent_at')) as Record<string, unknown>
    expect(mail).toMatchObject({ to_address: 'jane.smith@nhs.net', ics_id: ics.id, sent_at: null })
    expect(String(mail.text_body)).toContain(link![0])
    expect(await context.db('audit_events').orderBy('id').pluck('kind')).toEqual(['ics.created', 'invitation.sent'])

    // The link works: the new lead sets a password and signs in as the ICS lead.
    const agent = request.agent(context.app)
    const page = await agent.get(`/invitations/${link![1]}`)
    expect(page.status).toBe(200)
    const accepted = await agent
      .post(`/invitations/${link![1]}`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: 'a long and sturdy password 7', confirmPassword: 'a long and sturdy password 7' })
    expect(accepted.status).toBe(303)
    const home = await agent.get('/home')
    expect(home.status).toBe(200)
    expect(home.text).toContain('Welcome, Jane Smith')
    // With nothing set up yet, the home page says where to start.
    expect(home.text).toContain('Getting started')
    for (const path of ['/admin/imports', '/admin/places', '/admin/frameworks', '/rounds/new'])
      expect(home.text).toContain(`href="${path}"`)
    expect((await agent.get('/admin/invitations')).status).toBe(200)
  })

  it('refuses a second ICS of the same name, whatever its case and spacing, creating nothing', async () => {
    const before = await context.db('ics').count({ n: '*' }).first()
    const run = await icsCreate(context, ['--name', 'nhs northshire  integrated care system', '--lead', 'other@nhs.net'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('An ICS called “NHS Northshire Integrated Care System” already exists')
    expect(await context.db('ics').count({ n: '*' }).first()).toEqual(before)
    expect(await context.db('invitations').where({ email: 'other@nhs.net' })).toEqual([])
  })

  it('refuses a lead that is not an e-mail address, and explains its arguments', async () => {
    const bad = await icsCreate(context, ['--name', 'Another ICS', '--lead', 'not-an-address'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('“not-an-address” is not an e-mail address')
    const missing = await icsCreate(context, ['--name', 'Another ICS'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('Usage: npm run ics:create')
  })
})
