import { timestamp } from '../../server/db/values'
import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { killIfRunning, startServerProcess, type ServerProcess } from '../helpers/serverProcess'
import { csrfFrom } from '../helpers/session'

/**
 * Downloads the reader gives up on half-way, against the real server process as `npm start`
 * runs it: a cancelled PDF or spreadsheet once left a promise rejected with nobody listening,
 * and Node ends the process on an unhandled rejection, taking every other user's requests with it.
 */

jest.setTimeout(120_000)

const password = 'cancelled-downloads-password'
const token = 'cancelled-downloads-api-token-0123456789'

let database: TestDatabase
let server: ServerProcess
let cookie = ''

const url = (path: string) => `http://127.0.0.1:${server.port}${path}`

/** Starts a download, reads its first bytes, then goes away, as a person pressing Cancel does. */
async function cancelAfterFirstBytes(path: string, headers: Record<string, string>): Promise<number> {
  const controller = new AbortController()
  const response = await fetch(url(path), { headers, signal: controller.signal })
  const reader = response.body!.getReader()
  const first = await reader.read()
  expect(first.done).toBe(false)
  controller.abort()
  await reader.cancel().catch(() => undefined)
  return response.status
}

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false })
  server = await startServerProcess(database, { DEMO: 'on', DEMO_PASSWORD: password, DEMO_API_TOKEN: token })
  await fetchUntilReady()
  // Enough organisations that every download is still being written when it is cancelled.
  const places = (await database.db('places').pluck('id')) as number[]
  const organisations = Array.from({ length: 3000 }, (_, i) => ({
    place_id: places[i % places.length]!,
    name: `Practice ${String(i).padStart(4, '0')}`,
    kind: 'primary_care',
    created_at: timestamp(),
  }))
  await database.db.batchInsert('organisations', organisations, 200)

  const signInPage = await fetch(url('/sign-in'))
  cookie = signInPage.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
  const signedIn = await fetch(url('/sign-in'), {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfFrom(await signInPage.text()), email: 'ics.lead@example.org', password }).toString(),
  })
  expect(signedIn.status).toBe(303)
  cookie = signedIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ')
})

afterAll(async () => {
  await killIfRunning(server)
  await database.destroy()
})

async function fetchUntilReady(): Promise<void> {
  await server.waitForLog((line) => String(line.msg).startsWith('PlaceReady is listening'))
}

it('a cancelled report, spreadsheet or JSON download leaves the server running', async () => {
  const round = (await database.db('rounds').whereNotNull('published_at').first('id')) as { id: number }
  const wirral = (await database.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }
  const bearer = { Authorization: `Bearer ${token}` }
  const session = { Cookie: cookie }
  const downloads: Array<[string, Record<string, string>]> = [
    [`/api/v1/rounds/${round.id}/report.pdf`, bearer],
    [`/api/v1/rounds/${round.id}/places/${wirral.id}/report.pdf`, bearer],
    [`/rounds/${round.id}/downloads/answers.xlsx`, session],
    [`/rounds/${round.id}/downloads/answers.csv`, session],
    [`/rounds/${round.id}/downloads/round.json`, session],
  ]
  for (const [path, headers] of downloads) {
    expect({ path, status: await cancelAfterFirstBytes(path, headers) }).toEqual({ path, status: 200 })
    // Long enough for the server to notice the reader has gone and to stop writing.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect({ path, exitCode: server.child.exitCode, output: server.child.exitCode === null ? '' : server.output() }).toEqual({
      path,
      exitCode: null,
      output: '',
    })
    expect((await fetch(url('/healthz'))).status).toBe(200)
  }
  // And the same downloads still work in full afterwards.
  const whole = await fetch(url(`/api/v1/rounds/${round.id}/report.pdf`), { headers: bearer })
  expect(whole.status).toBe(200)
  expect(
    Buffer.from(await whole.arrayBuffer())
      .subarray(0, 5)
      .toString(),
  ).toBe('%PDF-')
})
