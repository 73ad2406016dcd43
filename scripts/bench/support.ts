import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

/** What the bench's profiles share: server processes, their CPU and memory, HTTP sessions, tables. */

export const root = path.resolve(__dirname, '../..')

/** Node's arguments for the server exactly as `npm start` gives them (package.json), flags included. */
export const startArguments = (
  JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(' ')
  .slice(1)

/** Extra node flags for the servers measured, e.g. BENCH_NODE_ARGS="--cpu-prof". */
export const extraNodeArguments = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []

export async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export async function startProcess(args: string[], env: Record<string, string>, port: number, logFile?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', logFile ? fs.openSync(logFile, 'a') : 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`)
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`)
      if (response.status === 200 || response.status === 404) return child
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${args.join(' ')} did not start`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** The server's access log (one JSON line per request on stdout), read a run at a time for its own view of response times. */
export class ServerLog {
  private offset = 0
  constructor(readonly file: string) {}

  /** Response times (ms) of the requests with this method logged since the last call. */
  take(method = 'POST'): number[] {
    const text = fs.readFileSync(this.file, 'utf8')
    const fresh = text.slice(this.offset, text.lastIndexOf('\n') + 1)
    this.offset += fresh.length
    const times: number[] = []
    for (const line of fresh.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"responseTime"')) continue
      const entry = JSON.parse(line) as { responseTime?: number; req?: { method?: string } }
      if (entry.req?.method === method && typeof entry.responseTime === 'number') times.push(entry.responseTime)
    }
    return times
  }
}

export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** A process and its children (cluster workers), from /proc; empty elsewhere. */
function processTree(pid: number): string[] {
  try {
    const children = fs.readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false
      try {
        return procStat(p)[1] === String(pid)
      } catch {
        return false
      }
    })
    return [String(pid), ...children]
  } catch {
    return []
  }
}

const procStat = (p: string) =>
  fs
    .readFileSync(`/proc/${p}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')

/** CPU time (ms) used so far by a process and its children (cluster workers), from /proc; undefined elsewhere. */
export function cpuMs(pid: number): number | undefined {
  const clockTicks = 100
  try {
    let ticks = 0
    for (const p of processTree(pid)) {
      const fields = procStat(p)
      ticks += Number(fields[11]) + Number(fields[12])
    }
    return (ticks * 1000) / clockTicks
  } catch {
    return undefined
  }
}

/** Resident memory (MB) of a process and its children now, or at its peak so far ('VmHWM'), from /proc; undefined elsewhere. */
export function memoryMb(pid: number, which: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  try {
    let kb = 0
    for (const p of processTree(pid)) {
      const line = fs
        .readFileSync(`/proc/${p}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${which}:`))
      kb += Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0)
    }
    return kb / 1024
  } catch {
    return undefined
  }
}

export function cookiesOf(response: Response, jar: Map<string, string>): void {
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';')
    const at = pair!.indexOf('=')
    jar.set(pair!.slice(0, at), pair!.slice(at + 1))
  }
}

export const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!

/** Signs in through the real form; the session's cookie header. */
export async function signIn(baseUrl: string, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const jar = new Map<string, string>()
  const page = await fetch(`${baseUrl}/sign-in`, { headers })
  cookiesOf(page, jar)
  const signedIn = await fetch(`${baseUrl}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfOf(await page.text()), email, password }).toString(),
  })
  if (signedIn.status !== 303) throw new Error(`Sign-in of ${email} failed: ${signedIn.status}`)
  cookiesOf(signedIn, jar)
  return cookieHeader(jar)
}

/** A Markdown table, the first column left-aligned and the rest right-aligned. */
export function markdownTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`
  return [
    line(rows[0]!),
    `|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n')
}
