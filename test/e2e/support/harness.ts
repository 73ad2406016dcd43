import type { Browser } from 'playwright-core'
import { launchBrowser, openSession, type Session } from './browser'
import { startE2EServer, type E2EServer } from './server'

export interface E2E {
  /** The running server (fresh database with the demo ICS, real clock). */
  readonly server: E2EServer
  readonly browser: Browser
  /** A new, signed-out browser profile with a monitored page. Closed, and checked, after each test. */
  session(options?: { javaScriptEnabled?: boolean }): Promise<Session>
}

/**
 * Sets up one test file's browser tests: the real server on its own fresh database and one
 * Chromium, both started once for the file. After every test it fails the test if any page had
 * console errors, CSP violations or uncaught errors, or the server logged an error.
 *
 *   const e2e = setUpE2E()
 *   test('…', async () => { const { page } = await e2e.session(); … })
 */
export function setUpE2E(env: Record<string, string> = {}): E2E {
  let server: E2EServer | undefined
  let browser: Browser | undefined
  let sessions: Session[] = []
  let serverErrorsSeen = 0

  beforeAll(async () => {
    const [started, launched] = await Promise.allSettled([startE2EServer(env), launchBrowser()])
    if (started.status === 'fulfilled') server = started.value
    if (launched.status === 'fulfilled') browser = launched.value
    if (started.status === 'rejected') throw started.reason
    if (launched.status === 'rejected') throw launched.reason
  })

  afterEach(async () => {
    const problems = sessions.flatMap((s) => s.monitor.problems())
    await Promise.all(sessions.map((s) => s.close()))
    sessions = []
    const serverErrors = server?.errorLogs() ?? []
    const newServerErrors = serverErrors.slice(serverErrorsSeen)
    serverErrorsSeen = serverErrors.length
    problems.push(...newServerErrors.map((line) => `Server error: ${JSON.stringify(line)}`))
    if (problems.length > 0) throw new Error(`Problems during the test:\n - ${problems.join('\n - ')}`)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  return {
    get server() {
      if (!server) throw new Error('The server has not started')
      return server
    },
    get browser() {
      if (!browser) throw new Error('The browser has not started')
      return browser
    },
    async session(options = {}) {
      const session = await openSession(this.browser, this.server.baseUrl, options)
      sessions.push(session)
      return session
    },
  }
}
