import { createHash } from 'node:crypto'
import request from 'supertest'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { countRows } from '../helpers/counts'
import { signIn } from '../helpers/session'

describe('public pages', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext()
  })
  afterAll(() => context.close())

  it('GET /healthz answers ok', async () => {
    const response = await request(context.app).get('/healthz')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ status: 'ok' })
  })

  it('GET /readyz answers 200 when migrated, and 503 while draining', async () => {
    expect((await request(context.app).get('/readyz')).status).toBe(200)
    context.lifecycle.draining = true
    try {
      expect((await request(context.app).get('/readyz')).status).toBe(503)
    } finally {
      context.lifecycle.draining = false
    }
  })

  it('the start page explains the service', async () => {
    const response = await request(context.app).get('/')
    expect(response.status).toBe(200)
    expect(response.text).toContain('<h1>Assess your place partnership’s readiness for delegation</h1>')
    expect(response.text).toContain('href="/framework"')
  })

  it('GET /framework shows every criterion with its code and four level descriptors', async () => {
    const response = await request(context.app).get('/framework')
    expect(response.status).toBe(200)
    const codes = ['AV1', 'AV2', 'AV3', 'LC1', 'LC2', 'LC3', 'LC4', 'DD1', 'DD2', 'DD3', 'DD4', 'GV1', 'GV2', 'GV3', 'GV4', 'GV5']
    for (const code of codes) expect(response.text).toContain(`id="criterion-${code}"`)
    const sections = response.text.split('class="placeready-criterion"').slice(1)
    expect(sections).toHaveLength(16)
    for (const section of sections) {
      for (const name of ['1 – Emerging', '2 – Developing', '3 – Maturing', '4 – Thriving']) expect(section).toContain(`<dt>${name}</dt>`)
    }
    expect(response.text).toContain('Financial framework')
    expect(response.text).toContain('name="viewport"')
  })

  it('serves the framework JSON Schema', async () => {
    const response = await request(context.app).get('/schemas/framework.json')
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toMatch(/application\/schema\+json/)
    expect(response.body.$id).toBe('/schemas/framework.json')
  })

  it('shows a 404 page in the layout for an unknown address', async () => {
    const response = await request(context.app).get('/no-such-page')
    expect(response.status).toBe(404)
    expect(response.text).toContain('<h1>Page not found</h1>')
    expect(response.text).toContain('nhsuk-header')
  })

  it('serves NHS.UK styles from our own origin, without the licensed web font', async () => {
    const response = await request(context.app).get('/assets/nhsuk-frontend.css')
    expect(response.status).toBe(200)
    expect(response.text).toContain('.nhsuk-header')
    expect(response.text).not.toContain('@font-face')
    expect(response.text).not.toContain('assets.nhs.uk')
  })

  it('sends a strict content security policy that allows the one inline script by its hash, and no external origins', async () => {
    const page = await request(context.app).get('/')
    const csp = page.headers['content-security-policy'] as string
    expect(csp).not.toMatch(/https?:/)
    expect(csp).not.toMatch(/unsafe-inline|nonce-/)
    const scriptSources = /(?:^|;)script-src ([^;]+)/.exec(csp)![1]!.split(' ')
    // The page's inline scripts (not data blocks), each allowed by its own SHA-256, and nothing else.
    const inline = [...page.text.matchAll(/<script(?![^>]*\bsrc=)(?![^>]*type="application\/json")[^>]*>([\s\S]*?)<\/script>/g)].map(
      (m) => m[1]!,
    )
    expect(inline).toHaveLength(1)
    const hashes = inline.map((script) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`)
    expect(scriptSources.sort()).toEqual(["'self'", ...hashes].sort())
    expect(inline[0]).toContain('js-enabled')
  })
})

describe('the public framework page beside an ICS’s own versions', () => {
  it('shows the bundled framework, never a draft an ICS made of it', async () => {
    // The demo ICS has a draft of its own, made from the bundled framework, newer than it.
    const context = await createTestContext({ demo: true })
    try {
      const draft = (await context.db('framework_versions').whereNotNull('owner_ics_id').first('id')) as { id: number } | undefined
      expect(draft).toBeDefined()
      const response = await request(context.app).get('/framework')
      expect(response.status).toBe(200)
      expect(response.text).toContain('id="criterion-GV5"')
      expect(response.text).not.toContain('Draft for the next round')
    } finally {
      await context.close()
    }
  })
})

describe('the public framework page for visitors who are not signed in', () => {
  it('is the same page for every visitor, makes no session, shows a new default framework at once, and still knows who is signed in', async () => {
    const context = await createTestContext({ demo: true })
    try {
      const sessionsBefore = await countRows(context.db, 'sessions')
      const first = await request(context.app).get('/framework')
      const second = await request(context.app).get('/framework')
      expect(first.status).toBe(200)
      expect(first.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(first.headers['set-cookie']).toBeUndefined()
      expect(second.text).toBe(first.text)
      expect(first.text).toContain('href="/sign-in"')
      expect(await countRows(context.db, 'sessions')).toBe(sessionsBefore)

      // A newer bundled version of the default framework becomes the page at once.
      const current = (await context.services.frameworks.defaultVersion())!
      const revised = structuredClone(current.document)
      revised.version = `${revised.version}-revised`
      revised.domains[0]!.criteria[0]!.descriptors[0]!.text = 'A descriptor revised for this test.'
      await context.services.frameworks.import(revised)
      const after = await request(context.app).get('/framework')
      expect(after.text).toContain('A descriptor revised for this test.')
      expect(first.text).not.toContain('A descriptor revised for this test.')

      // Someone signed in gets their own header on the same content.
      const partner = await signIn(context.app, 'partner.wirral.council@example.org', testDemoPassword)
      const theirs = await partner.get('/framework')
      expect(theirs.text).toContain('A descriptor revised for this test.')
      expect(theirs.text).toContain('Sign out')
      expect(theirs.text).not.toContain('href="/sign-in"')
    } finally {
      await context.close()
    }
  })
})

describe('errors in production', () => {
  it('shows a 500 page with no stack trace', async () => {
    const context = await createTestContext({ env: { NODE_ENV: 'production' } })
    try {
      await context.db.destroy()
      const response = await request(context.app).get('/framework')
      expect(response.status).toBe(500)
      expect(response.text).toContain('Sorry, there is a problem with the service')
      expect(response.text).not.toMatch(/at .*\.ts:\d+/)
      expect(response.text).not.toContain('Technical details')
    } finally {
      await context.database.destroy().catch(() => undefined)
    }
  })
})
