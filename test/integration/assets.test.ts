import { createHash } from 'node:crypto'
import request from 'supertest'
import { createTestContext, type TestContext } from '../helpers/app'

const fingerprintOf = (body: Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 12)
const linked = (html: string) => [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+|\/static\/[^"]+)"/g)].map((m) => m[1]!)

describe('assets under fingerprinted names', () => {
  let context: TestContext

  beforeAll(async () => {
    context = await createTestContext()
  })
  afterAll(() => context.close())

  const fetchAsset = (url: string) =>
    request(context.app)
      .get(url)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => done(null, Buffer.concat(chunks)))
      })

  it('links every stylesheet, script and icon under a name carrying the fingerprint of what it serves, kept for a year', async () => {
    const page = await request(context.app).get('/framework')
    const urls = linked(page.text)
    expect(urls).toHaveLength(5)
    for (const url of urls) {
      expect(url).toMatch(/^\/assets\/v\/[0-9a-f]{12}\//)
      const response = await fetchAsset(url)
      expect(response.status).toBe(200)
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(url.split('/')[3]).toBe(fingerprintOf(response.body as Buffer))
      const revisit = await request(context.app).get(url).set('If-None-Match', response.headers.etag!)
      expect(revisit.status).toBe(304)
    }
    const types = await Promise.all(urls.map(async (url) => (await fetchAsset(url)).headers['content-type']))
    expect(types).toEqual(
      expect.arrayContaining(['text/css; charset=utf-8', 'text/javascript; charset=utf-8', 'image/x-icon', 'image/svg+xml']),
    )
  })

  it('has scripts import the fingerprinted names of the scripts they use', async () => {
    const page = await request(context.app).get('/framework')
    const app = linked(page.text).find((url) => url.endsWith('/static/js/app.js'))!
    const source = ((await fetchAsset(app)).body as Buffer).toString()
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
    expect(imports).toHaveLength(2)
    for (const url of imports) {
      expect(url).toMatch(/^\/assets\/v\/[0-9a-f]{12}\/(assets\/nhsuk-frontend|static\/js\/autosave)\.js$/)
      const imported = await fetchAsset(url)
      expect(imported.status).toBe(200)
      expect(url.split('/')[3]).toBe(fingerprintOf(imported.body as Buffer))
    }
  })

  it('serves a link from before a release once, uncached, and nothing for an unknown asset', async () => {
    const stale = await request(context.app).get('/assets/v/000000000000/static/css/app.css')
    expect(stale.status).toBe(200)
    expect(stale.headers['cache-control']).toBe('no-cache')
    expect((await request(context.app).get('/assets/v/000000000000/static/css/missing.css')).status).toBe(404)
  })
})

describe('assets under npm run dev (VIEW_CACHE=off)', () => {
  it('links the plain addresses, read from disk at each request', async () => {
    const context = await createTestContext({ env: { VIEW_CACHE: 'off' } })
    try {
      const page = await request(context.app).get('/framework')
      expect(linked(page.text)).toEqual([
        '/assets/images/favicon.ico',
        '/assets/images/favicon.svg',
        '/assets/nhsuk-frontend.css',
        '/static/css/app.css',
        '/static/js/app.js',
      ])
      expect((await request(context.app).get('/static/js/app.js')).status).toBe(200)
    } finally {
      await context.close()
    }
  })
})
