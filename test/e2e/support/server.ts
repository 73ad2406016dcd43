import { createTestDatabase, type TestDatabase } from '../../helpers/database'
import { startServerProcess, type LogLine, type ServerProcess } from '../../helpers/serverProcess'

/** The demo users' password in browser tests. */
export const demoPassword = 'e2e-demo-password-7391'

export const demoUsers = {
  icsLead: 'ics.lead@example.org',
  placeLead: 'place.lead.wirral@example.org',
  partner: 'partner.wirral.council@example.org',
  viewer: 'board.viewer@example.org',
} as const

export interface E2EServer {
  /** Where the browser reaches the server; also the address in e-mailed links (BASE_URL's default). */
  baseUrl: string
  process: ServerProcess
  /** The server's database, for a test that needs a state no page can make (an empty round). */
  database: TestDatabase
  /** Log lines at error level or worse (a 500, an unhandled rejection). */
  errorLogs(): LogLine[]
  stop(): Promise<void>
}

/**
 * The real server, started as `npm start` starts it (a child process with the real clock), on a
 * fresh database with the demo ICS. Mail has no SMTP server, so it lands in the outbox.
 */
export async function startE2EServer(env: Record<string, string> = {}): Promise<E2EServer> {
  const database: TestDatabase = await createTestDatabase({ migrate: false })
  const server = await startServerProcess(database, {
    NODE_ENV: 'development',
    DEMO: 'on',
    DEMO_PASSWORD: demoPassword,
    LOG_LEVEL: 'warn',
    // Several journeys sign in from the same address within minutes; the limit itself is tested elsewhere.
    SIGN_IN_RATE_LIMIT: '500',
    TOKEN_RATE_LIMIT: '500',
    ...env,
  })
  const baseUrl = `http://localhost:${server.port}`
  const stop = async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM')
    await server.exited
    await database.destroy()
  }
  try {
    await waitUntilReady(baseUrl, server)
  } catch (error) {
    await stop()
    throw error
  }
  return {
    baseUrl,
    process: server,
    database,
    errorLogs: () => server.logs.filter((line) => typeof line.level === 'number' && line.level >= 50),
    stop,
  }
}

async function waitUntilReady(baseUrl: string, server: ServerProcess): Promise<void> {
  let exited = false
  void server.exited.then(() => {
    exited = true
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The server exited before it was ready:\n${server.output()}`)
    try {
      const response = await fetch(`${baseUrl}/readyz`)
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`The server was not ready within 60 seconds:\n${server.output()}`)
}
