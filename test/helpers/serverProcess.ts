import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import type { TestDatabase } from './database'

export const repositoryRoot = path.resolve(__dirname, '../..')

/** `npm start`'s own command line, so the tests start the server exactly as operators do. */
function startCommand(): { command: string; args: string[] } {
  const packageJson = JSON.parse(fs.readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const [command, ...args] = packageJson.scripts.start.split(/\s+/)
  // The same node that runs the tests, not whichever one is first on PATH.
  return { command: command === 'node' ? process.execPath : command!, args }
}

export interface LogLine {
  msg?: string
  [key: string]: unknown
}

export interface ServerProcess {
  child: ChildProcess
  port: number
  /** Every JSON log line so far. */
  logs: LogLine[]
  /** Resolves with the first log line (past or future) that matches; rejects if the process exits first. */
  waitForLog(matches: (line: LogLine) => boolean): Promise<LogLine>
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>
  output(): string
}

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * The real server as `npm start` runs it, on a test database: the
 * database's SQLite file, or its PostgreSQL URL when the suite runs against PostgreSQL.
 */
export async function startServerProcess(database: TestDatabase, env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort()
  const databaseEnv: Record<string, string> =
    database.config.client === 'postgres'
      ? { DATABASE_URL: database.config.connectionString }
      : { DATABASE_FILE: database.config.filename, DATABASE_URL: '' }
  const { command, args } = startCommand()
  const child = spawn(command, args, {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      DEMO: 'off',
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: '1',
      PORT: String(port),
      ...databaseEnv,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: LogLine[] = []
  const waiters: Array<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = []
  let text = ''
  let pending = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    text += chunk
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const raw of lines) {
      if (!raw.startsWith('{')) continue
      const line = JSON.parse(raw) as LogLine
      logs.push(line)
      for (const waiter of [...waiters]) {
        if (waiter.matches(line)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      }
    }
  })
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', (chunk: string) => {
    text += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    port,
    logs,
    exited,
    output: () => text,
    waitForLog(matches) {
      const seen = logs.find(matches)
      if (seen) return Promise.resolve(seen)
      return new Promise<LogLine>((resolve, reject) => {
        waiters.push({ matches, resolve })
        void exited.then((code) => reject(new Error(`The server exited (code ${code}) before logging what the test waited for:\n${text}`)))
      })
    },
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kills a test's server process if it is still running (a test that failed half-way), and waits for it. */
export async function killIfRunning(server: ServerProcess | undefined): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL')
    await server.exited
  }
}
