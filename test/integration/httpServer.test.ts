import type http from 'node:http'
import request from 'supertest'
import { createHttpServer } from '../../server/httpServer'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn } from '../helpers/session'

describe('the HTTP server (server/httpServer.ts)', () => {
  let ctx: TestContext
  let server: http.Server
  /** For each request the server made: whether the request and response were born with the app's prototypes. */
  const born: Array<{ request: boolean; response: boolean }> = []

  beforeAll(async () => {
    ctx = await createTestContext({ demo: true })
    server = createHttpServer(ctx.app)
    // Heard before Express sees them: what Node made, not what Express changed.
    server.prependListener('request', (req, res) => {
      born.push({ request: Object.getPrototypeOf(req) === ctx.app.request, response: Object.getPrototypeOf(res) === ctx.app.response })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    await ctx.close()
  })

  it('makes each request and response with the app’s own prototypes, so Express need not change them', async () => {
    born.length = 0
    await request(server).get('/framework').expect(200)
    await request(server).get('/no-such-page').expect(404)
    expect(born).toEqual([
      { request: true, response: true },
      { request: true, response: true },
    ])
  })

  it('serves the app as before: pages, a signed-in journey with its form token, errors', async () => {
    const signInPage = await request(server).get('/sign-in').expect(200)
    expect(signInPage.headers['content-type']).toBe('text/html; charset=utf-8')
    const agent = await signIn(server, 'partner.wirral.council@example.org', testDemoPassword)
    const home = await agent.get('/home').expect(200)
    expect(home.text).toContain('Sign out')
    // A form posted without its token is refused, as through any server.
    await agent.post('/sign-out').type('form').send({}).expect(403)
    const health = await request(server).get('/healthz').expect(200)
    expect(health.body).toMatchObject({ status: 'ok' })
  })
})
