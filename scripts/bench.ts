import fs from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import express from 'express'
import { hashPassword } from '../server/auth/passwords'
import { prepareDatabase } from '../server/bootstrap'
import { loadConfig } from '../server/config'
import { createDatabase } from '../server/db/connection'
import { timestamp } from '../server/db/values'
import { createLogger } from '../server/logger'
import { createServices } from '../server/services'
import { benchExports } from './bench/exports'
import { benchImport } from './bench/import'
import { benchPages, runPageBaselineServer } from './bench/pages'
import { benchReports } from './bench/reports'
import {
  cookieHeader,
  cookiesOf,
  cpuMs,
  csrfOf,
  extraNodeArguments,
  freePort,
  markdownTable,
  percentile,
  ServerLog,
  startArguments,
  startProcess,
  stopProcess,
} from './bench/support'

/**
 * `npm run bench`: every profile, one after another, exiting 1 if any target does not hold;
 * `npm run bench -- saves` or `npm run bench -- pages [demo|national] [page names...]` runs one.
 * The page profile is in bench/pages.ts; the report profile (`npm run bench -- reports`) in bench/reports.ts;
 * the export profile (`npm run bench -- exports`: memory while streaming a 112,000-answer round) in bench/exports.ts;
 * the CSV import profile (`npm run bench -- import`) in bench/import.ts.
 *
 * The save profile is a deadline day. 200 partners, each of their own organisation and
 * signed in with their own session, autosave answers (the domain page's JSON save, carrying
 * the versions each save returns, as the browser does), then complete their four domains and
 * submit. Real server processes, started as `npm start` starts them (production settings,
 * behind a pretend TLS load balancer), on a throwaway SQLite database: one instance, then
 * WEB_CONCURRENCY=2. For comparison, a bare Express + better-sqlite3 server that parses the
 * same form and inserts one row, with the same SQLite settings (WAL, synchronous=FULL).
 *
 * Runs, for each server:
 *  - flat out (autocannon): every connection sends its next save as soon as the last is
 *    answered, for BENCH_DURATION s: capacity, and latency at saturation (mostly queueing);
 *  - at the target pace, 40% of the baseline's flat-out requests/s, for BENCH_PACED_DURATION s:
 *    a save falls due every 1/rate s and is timed from then, so falling behind shows in full.
 *    The target holds if the server keeps up (serves 95% of the pace) with p99 under 100 ms
 *    and no errors;
 *  - at BENCH_DEADLINE_RATE saves/s, paced the same way: a busy deadline day;
 *  - every partner completes its four domains and submits (five requests each, autocannon).
 * Any response but the one expected (200; 303 for a submission) counts as an error: each
 * partner has one request in flight at most, so no two race for one answer and a 409 conflict
 * would be a fault. Also shown: the p99 the server itself logs (without the client's share of a
 * busy machine) and its CPU time per request, from /proc where there is one.
 *
 * Settings: BENCH_PARTNERS (200), BENCH_CONNECTIONS (50), BENCH_DURATION (15),
 * BENCH_PACED_DURATION (10), BENCH_DEADLINE_RATE (100), BENCH_WORKERS ("1,2"), LOG_LEVEL (info),
 * BENCH_NODE_ARGS (extra node flags for the server, e.g. "--cpu-prof").
 */

const partnersWanted = Number(process.env.BENCH_PARTNERS ?? 200)
/**
 * Connections the 200 partners share (each partner on one connection, taking turns): like a
 * load balancer's pool to the app. With all 200 partners opening their own connection at the
 * same moment to a process already saturated, the last connections wait seconds to be accepted
 * (the server's own response times stay in milliseconds), which measures the pile-up, not a save.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const duration = Number(process.env.BENCH_DURATION ?? 15)
const pacedDuration = Number(process.env.BENCH_PACED_DURATION ?? 10)
/**
 * A busy deadline day, for scale: 2,000 organisations submitting in one hour, each autosaving
 * some 30 times on the way, is under 20 saves a second; this is five times that.
 */
const deadlineRate = Number(process.env.BENCH_DEADLINE_RATE ?? 100)
/** Which servers to measure: one instance, and WEB_CONCURRENCY=2. */
const targets: Array<[string, number]> = (process.env.BENCH_WORKERS ?? '1,2')
  .split(',')
  .map((n) => [Number(n) === 1 ? '1 instance' : `WEB_CONCURRENCY=${n}`, Number(n)])
const password = 'bench-password-1234'
const domains: Record<string, string[]> = {
  AV: ['AV1', 'AV2', 'AV3'],
  LC: ['LC1', 'LC2', 'LC3', 'LC4'],
  DD: ['DD1', 'DD2', 'DD3', 'DD4'],
  GV: ['GV1', 'GV2', 'GV3', 'GV4', 'GV5'],
}
const criteria = Object.entries(domains).flatMap(([domain, codes]) => codes.map((code) => ({ domain, code })))
/** Behind a TLS-terminating load balancer, as in production (so Secure cookies are set). */
const proxyHeaders = { 'x-forwarded-proto': 'https' }

// ---------------------------------------------------------------------------------------
// The baseline: the least a save could cost on this machine – parse the same form, insert a row.

/** The part of better-sqlite3 used here (the package ships no types). */
interface Sqlite {
  pragma(source: string): unknown
  exec(source: string): void
  prepare(source: string): { run(...params: unknown[]): { lastInsertRowid: number | bigint } }
}

function runBaselineServer(): void {
  const Sqlite = createRequire(__filename)('better-sqlite3') as new (filename: string) => Sqlite
  const sqlite = new Sqlite(process.env.BASELINE_FILE!)
  sqlite.pragma('journal_mode = WAL')
  sqlite.pragma('foreign_keys = ON')
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('synchronous = FULL')
  sqlite.exec('create table if not exists saves (id integer primary key, path text not null, evidence text, saved_at text not null)')
  const insert = sqlite.prepare('insert into saves (path, evidence, saved_at) values (?, ?, ?)')
  const app = express()
  app.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 500 }))
  app.post('/{*rest}', (req, res) => {
    const body = req.body as Record<string, string>
    const result = insert.run(req.path, body['evidence-AV1'] ?? null, new Date().toISOString())
    res.json({ id: Number(result.lastInsertRowid), savedAt: new Date().toISOString() })
  })
  app.listen(Number(process.env.PORT), '127.0.0.1')
}

// ---------------------------------------------------------------------------------------
// A throwaway database: the demo ICS plus 200 partner organisations, one partner user each.

interface Partner {
  email: string
  organisationId: number
  cookie: string
  csrf: string
  /** Each domain's form as the browser holds it: the values it last saved and their versions. */
  forms: Record<string, Record<string, string>>
  saves: number
  /** Domains with a save sent but not answered (in flight, or timed out): their pages are loaded again after a run. */
  unconfirmed: Set<string>
}

async function buildDatabase(file: string): Promise<{ roundId: number; partners: Array<{ email: string; organisationId: number }> }> {
  const config = {
    ...loadConfig({ NODE_ENV: 'production', DEMO: 'on', DEMO_PASSWORD: password }),
    database: { client: 'sqlite' as const, filename: file },
  }
  const db = createDatabase(config.database)
  const logger = createLogger('silent')
  await prepareDatabase(db, createServices(db, config, logger), config, logger)
  const roundId = ((await db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id
  const places = (await db('places').orderBy('id').select('id', 'ics_id')) as Array<{ id: number; ics_id: number }>
  const passwordHash = await hashPassword(password)
  const partners: Array<{ email: string; organisationId: number }> = []
  await db.transaction(async (trx) => {
    for (let i = 0; i < partnersWanted; i++) {
      const place = places[i % places.length]!
      const [organisation] = (await trx('organisations').insert(
        { place_id: place.id, name: `Bench partner organisation ${i + 1}`, kind: 'vcse', created_at: timestamp() },
        ['id'],
      )) as Array<{ id: number }>
      const email = `bench.partner.${i + 1}@example.org`
      const [user] = (await trx('users').insert(
        { email, name: `Bench Partner ${i + 1}`, password_hash: passwordHash, is_active: true, created_at: timestamp() },
        ['id'],
      )) as Array<{ id: number }>
      await trx('memberships').insert({
        user_id: user!.id,
        role: 'partner',
        ics_id: place.ics_id,
        place_id: place.id,
        organisation_id: organisation!.id,
        created_at: timestamp(),
      })
      partners.push({ email, organisationId: organisation!.id })
    }
  })
  await db.raw('pragma wal_checkpoint(truncate)')
  await db.destroy()
  return { roundId, partners }
}

// ---------------------------------------------------------------------------------------
// Processes and HTTP.

const decode = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)

/** The answer form's fields, as a browser would post them. */
function formFields(html: string): Record<string, string> {
  const start = html.indexOf('<form method="post" action="/rounds/')
  const form = html.slice(start, html.indexOf('</form>', start))
  const fields: Record<string, string> = {}
  for (const tag of form.match(/<input [^>]*>/g) ?? []) {
    const name = /name="([^"]+)"/.exec(tag)?.[1]
    const type = /type="([^"]+)"/.exec(tag)?.[1] ?? 'text'
    if (!name || ((type === 'radio' || type === 'checkbox') && !/\schecked/.test(tag))) continue
    fields[name] = decode(/value="([^"]*)"/.exec(tag)?.[1] ?? '')
  }
  for (const m of form.matchAll(/<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decode(m[2]!)
  for (const m of form.matchAll(/<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g))
    fields[m[1]!] = decode(/<option value="([^"]*)" selected>/.exec(m[2]!)?.[1] ?? '')
  delete fields._csrf
  return fields
}

/** Signs every partner in through the real form and loads their four domain pages, a few at a time. */
async function signInAll(port: number, roundId: number, users: Array<{ email: string; organisationId: number }>): Promise<Partner[]> {
  const url = (p: string) => `http://127.0.0.1:${port}${p}`
  const signIn = async (user: { email: string; organisationId: number }): Promise<Partner> => {
    const jar = new Map<string, string>()
    const page = await fetch(url('/sign-in'), { headers: proxyHeaders })
    cookiesOf(page, jar)
    const signedIn = await fetch(url('/sign-in'), {
      method: 'POST',
      redirect: 'manual',
      headers: { ...proxyHeaders, cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(await page.text()), email: user.email, password }).toString(),
    })
    if (signedIn.status !== 303) throw new Error(`Sign-in of ${user.email} failed: ${signedIn.status}`)
    cookiesOf(signedIn, jar)
    const forms: Record<string, Record<string, string>> = {}
    let csrf = ''
    for (const domain of Object.keys(domains)) {
      const response = await fetch(url(`/rounds/${roundId}/organisations/${user.organisationId}/domains/${domain}`), {
        headers: { ...proxyHeaders, cookie: cookieHeader(jar) },
      })
      if (response.status !== 200) throw new Error(`Domain page for ${user.email}: ${response.status}`)
      const html = await response.text()
      csrf = csrfOf(html)
      forms[domain] = formFields(html)
    }
    return { ...user, cookie: cookieHeader(jar), csrf, forms, saves: 0, unconfirmed: new Set() }
  }
  const partners: Partner[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < users.length) partners.push(await signIn(users[next++]!))
    }),
  )
  return partners
}

// ---------------------------------------------------------------------------------------
// The load.

interface Outcome {
  name: string
  requests: number
  rps: number
  p50: number
  p99: number
  errors: number
  statuses: Record<string, number>
  /** Server CPU time per request (all its processes), when /proc can tell. */
  cpuMsPerRequest: number | undefined
  /** p99 of the response times the server itself logged: without the client's share of a busy machine. */
  serverP99: number | undefined
}

type ConnectionState = { owned?: Partner[]; turn: number; current?: Partner; domain?: string; step: number }

/**
 * Gives each autocannon connection its own partners (autocannon clones the request objects
 * per connection, so `state` is per connection; `this` in onResponse is that request).
 */
function partnerDealer(partners: Partner[]) {
  let dealt = 0
  return (state: ConnectionState): Partner => {
    if (!state.owned) {
      state.owned = []
      const perConnection = Math.max(1, Math.floor(partners.length / connections))
      for (let i = 0; i < perConnection && dealt < partners.length; i++) state.owned.push(partners[dealt++]!)
      if (state.owned.length === 0) state.owned.push(partners[dealt++ % partners.length]!)
    }
    return state.owned[state.turn++ % state.owned.length]!
  }
}

interface Measured {
  result: autocannon.Result
  cpu: number | undefined
  serverTimes: number[]
}

/** Runs autocannon, noting the server's CPU time and logged response times meanwhile. */
async function measure(pid: number, options: autocannon.Options, log?: ServerLog): Promise<Measured> {
  log?.take()
  const before = cpuMs(pid)
  const result = await autocannon({ ...options, debug: process.env.BENCH_DEBUG === 'on' })
  const after = cpuMs(pid)
  return { result, cpu: before === undefined || after === undefined ? undefined : after - before, serverTimes: log?.take() ?? [] }
}

function summarise(
  name: string,
  { result, cpu, serverTimes }: Measured,
  statuses: Record<string, number>,
  expected: (status: number) => boolean,
): Outcome {
  const unexpected = Object.entries(statuses)
    .filter(([status]) => !expected(Number(status)))
    .reduce((sum, [, n]) => sum + n, 0)
  return {
    name,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    // autocannon counts timeouts among its errors.
    errors: result.errors + unexpected,
    statuses,
    cpuMsPerRequest: cpu === undefined || result.requests.total === 0 ? undefined : cpu / result.requests.total,
    serverP99: percentile(serverTimes, 99),
  }
}

/** The next autosave a partner's browser would send: one more answer changed on one domain's form. */
function nextSave(partner: Partner, roundId: number): { domain: string; path: string; body: string } {
  const { domain, code } = criteria[partner.saves % criteria.length]!
  partner.unconfirmed.add(domain)
  const form = partner.forms[domain]!
  form[`level-${code}`] = String(1 + (partner.saves % 2))
  form[`evidence-${code}`] = `Evidence for ${code}, draft ${partner.saves + 1}: minutes of the partnership board.`
  partner.saves++
  return {
    domain,
    path: `/rounds/${roundId}/organisations/${partner.organisationId}/domains/${domain}`,
    body: new URLSearchParams({ ...form, _csrf: partner.csrf, action: 'save' }).toString(),
  }
}

/** What the browser does with the answer to an autosave: carry the new versions on. */
function saved(partner: Partner, domain: string, status: number, body: string): void {
  if (status !== 200) return
  partner.unconfirmed.delete(domain)
  const result = JSON.parse(body) as { versions: Record<string, number>; bases: Record<string, string> }
  for (const [code, version] of Object.entries(result.versions)) {
    partner.forms[domain]![`version-${code}`] = String(version)
    partner.forms[domain]![`base-${code}`] = result.bases[code]!
  }
}

const saveHeaders = (partner: Partner) => ({
  ...proxyHeaders,
  cookie: partner.cookie,
  accept: 'application/json',
  'content-type': 'application/x-www-form-urlencoded',
})

/**
 * Saves still in flight when a run stopped, or timed out, may have been saved since: once the
 * server has finished what it had queued, those pages are loaded again, as a browser would.
 */
async function reloadUnconfirmed(port: number, roundId: number, partners: Partner[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2000))
  for (const partner of partners) {
    for (const domain of partner.unconfirmed) {
      const response = await fetch(`http://127.0.0.1:${port}/rounds/${roundId}/organisations/${partner.organisationId}/domains/${domain}`, {
        headers: { ...proxyHeaders, cookie: partner.cookie },
      })
      partner.forms[domain] = formFields(await response.text())
    }
    partner.unconfirmed.clear()
  }
}

/** Flat out: every connection sends its next save as soon as the last is answered (autocannon). */
async function saveFlatOut(
  name: string,
  port: number,
  server: { pid: number; log: ServerLog },
  roundId: number,
  partners: Partner[],
): Promise<Outcome> {
  const deal = partnerDealer(partners)
  const statuses: Record<string, number> = {}
  const request = {
    method: 'POST',
    state: { turn: 0, step: 0 } as ConnectionState,
    setupRequest(req: autocannon.Request & { state: ConnectionState }) {
      const partner = deal(req.state)
      const save = nextSave(partner, roundId)
      Object.assign(req.state, { current: partner, domain: save.domain })
      req.path = save.path
      req.headers = saveHeaders(partner)
      req.body = save.body
      return req
    },
    onResponse(this: { state: ConnectionState }, status: number, body: string) {
      statuses[status] = (statuses[status] ?? 0) + 1
      saved(this.state.current!, this.state.domain!, status, body)
    },
  }
  const result = await measure(
    server.pid,
    { url: `http://127.0.0.1:${port}`, connections, duration, requests: [request as unknown as autocannon.Request] },
    server.log,
  )
  await reloadUnconfirmed(port, roundId, partners)
  return summarise(name, result, statuses, (s) => s === 200)
}

/**
 * At a steady pace: a save is due every 1/rate s, sent by a partner with none in flight, and
 * timed from when it was due, so a server that falls behind shows it in full (autocannon's own
 * rate limit sends each second's requests in one burst, which measures the burst instead).
 */
async function savePaced(
  name: string,
  port: number,
  server: { pid: number; log: ServerLog },
  roundId: number,
  partners: Partner[],
  rate: number,
): Promise<Outcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const idle = [...partners]
  const due: number[] = []
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  let errors = 0
  let inFlight = 0
  const send = (partner: Partner, dueAt: number) => {
    const save = nextSave(partner, roundId)
    inFlight++
    let finished = false
    const finish = (status: number | undefined, body: string, error?: Error) => {
      if (finished) return
      finished = true
      inFlight--
      if (status === undefined) {
        errors++
        const kind = `error: ${error?.message ?? 'unknown'}`
        statuses[kind] = (statuses[kind] ?? 0) + 1
      } else {
        statuses[status] = (statuses[status] ?? 0) + 1
        latencies.push(performance.now() - dueAt)
        saved(partner, save.domain, status, body)
      }
      idle.push(partner)
    }
    const req = http.request(
      { host: '127.0.0.1', port, path: save.path, method: 'POST', agent, headers: saveHeaders(partner), timeout: 10_000 },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => finish(res.statusCode, body))
        res.on('error', (error) => finish(undefined, '', error))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (error) => finish(undefined, '', error))
    req.end(save.body)
  }
  server.log.take()
  const cpuBefore = cpuMs(server.pid)
  const started = performance.now()
  const interval = 1000 / rate
  let next = started
  while (performance.now() - started < pacedDuration * 1000) {
    const now = performance.now()
    while (next <= now) {
      due.push(next)
      next += interval
    }
    while (due.length > 0 && idle.length > 0) send(idle.shift()!, due.shift()!)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  const elapsed = (performance.now() - started) / 1000
  // Saves due but never sent (every partner was waiting for an answer): the server fell behind.
  if (due.length > 0) statuses['not sent'] = due.length
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 10))
  const cpuAfter = cpuMs(server.pid)
  agent.destroy()
  await reloadUnconfirmed(port, roundId, partners)
  const requests = latencies.length
  return {
    name,
    requests,
    rps: requests / elapsed,
    p50: Math.round(percentile(latencies, 50) ?? 0),
    p99: Math.round(percentile(latencies, 99) ?? 0),
    errors: errors + Object.entries(statuses).reduce((sum, [status, n]) => sum + (/^\d+$/.test(status) && status !== '200' ? n : 0), 0),
    statuses,
    cpuMsPerRequest: cpuBefore === undefined || cpuAfter === undefined || requests === 0 ? undefined : (cpuAfter - cpuBefore) / requests,
    serverP99: percentile(server.log.take(), 99),
  }
}

/** Every partner completes its four domains (every answer given) and submits: five requests each. */
async function submitLoad(
  name: string,
  port: number,
  server: { pid: number; log: ServerLog },
  roundId: number,
  partners: Partner[],
): Promise<Outcome> {
  const deal = partnerDealer(partners)
  const statuses: Record<string, number> = {}
  const steps = [...Object.keys(domains), 'submit']
  const request = {
    method: 'POST',
    state: { turn: 0, step: 0 } as ConnectionState,
    setupRequest(req: autocannon.Request & { state: ConnectionState }) {
      const state = req.state
      if (state.step % steps.length === 0) state.current = deal(state)
      const partner = state.current!
      const step = steps[state.step++ % steps.length]!
      const base = `/rounds/${roundId}/organisations/${partner.organisationId}`
      req.headers = { ...proxyHeaders, cookie: partner.cookie, 'content-type': 'application/x-www-form-urlencoded' }
      if (step === 'submit') {
        req.path = `${base}/submit`
        req.body = new URLSearchParams({ _csrf: partner.csrf, declaration: 'yes' }).toString()
        return req
      }
      const form = partner.forms[step]!
      for (const code of domains[step]!) {
        form[`level-${code}`] = '3'
        form[`evidence-${code}`] = `Final evidence for ${code}: agreed at the partnership board.`
      }
      req.path = `${base}/domains/${step}`
      req.headers.accept = 'application/json'
      req.body = new URLSearchParams({ ...form, _csrf: partner.csrf, action: 'complete' }).toString()
      return req
    },
    onResponse(status: number) {
      statuses[status] = (statuses[status] ?? 0) + 1
    },
  }
  const perConnection = Math.max(1, Math.floor(partners.length / connections))
  const result = await measure(
    server.pid,
    {
      url: `http://127.0.0.1:${port}`,
      connections: Math.min(connections, partners.length),
      maxConnectionRequests: perConnection * steps.length,
      requests: [request as unknown as autocannon.Request],
    },
    server.log,
  )
  // A completed domain answers 200 (JSON); a submission redirects (303) to its confirmation.
  return summarise(name, result, statuses, (s) => s === 200 || s === 303)
}

async function benchApp(
  label: string,
  webConcurrency: number,
  template: string,
  dir: string,
  roundId: number,
  users: Array<{ email: string; organisationId: number }>,
  targetRate: number,
): Promise<{ max: Outcome; paced: Outcome; busy: Outcome; submit: Outcome }> {
  const file = path.join(dir, `${label}.sqlite`)
  fs.copyFileSync(template, file)
  const port = await freePort()
  const started = Date.now()
  const log = new ServerLog(path.join(dir, `${label}.log`))
  const child = await startProcess(
    [...extraNodeArguments, ...startArguments],
    {
      NODE_ENV: 'production',
      TRUST_PROXY: 'true',
      DATABASE_FILE: file,
      DATABASE_URL: '',
      DEMO: 'off',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      SIGN_IN_RATE_LIMIT: '10000',
      WEB_CONCURRENCY: String(webConcurrency),
    },
    port,
    log.file,
  )
  try {
    const partners = await signInAll(port, roundId, users)
    console.log(`  ${label}: started and ${partners.length} partners signed in (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    const server = { pid: child.pid!, log }
    const max = await saveFlatOut(`save an answer, flat out, ${label}`, port, server, roundId, partners)
    const paced = await savePaced(`save an answer at ${targetRate}/s, ${label}`, port, server, roundId, partners, targetRate)
    const busy = await savePaced(`save an answer at ${deadlineRate}/s, ${label}`, port, server, roundId, partners, deadlineRate)
    const submit = await submitLoad(`complete and submit, ${label}`, port, server, roundId, partners)
    return { max, paced, busy, submit }
  } finally {
    await stopProcess(child)
  }
}

async function benchBaseline(dir: string): Promise<Outcome> {
  const port = await freePort()
  const child = await startProcess(
    ['--import', 'tsx', 'scripts/bench.ts', '--baseline-server'],
    { BASELINE_FILE: path.join(dir, 'baseline.sqlite') },
    port,
  )
  try {
    const statuses: Record<string, number> = {}
    const fields: Record<string, string> = { _csrf: 'x'.repeat(43), action: 'save' }
    for (const code of domains.GV!)
      Object.assign(fields, {
        [`level-${code}`]: '2',
        [`evidence-${code}`]: `Evidence for ${code}: minutes of the partnership board.`,
        [`version-${code}`]: '3',
        [`base-${code}`]: 'x'.repeat(22),
      })
    const result = await measure(child.pid!, {
      url: `http://127.0.0.1:${port}/rounds/2/organisations/1/domains/GV`,
      connections,
      duration,
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        cookie: `placeready.sid=s%3A${'x'.repeat(80)}`,
      },
      body: new URLSearchParams(fields).toString(),
      requests: [
        { onResponse: (status: number) => void (statuses[status] = (statuses[status] ?? 0) + 1) } as unknown as autocannon.Request,
      ],
    })
    return summarise('baseline: Express + better-sqlite3 insert', result, statuses, (s) => s === 200)
  } finally {
    await stopProcess(child)
  }
}

function table(outcomes: Outcome[]): string {
  const rows = [
    ['run', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server p99 ms', 'server CPU ms/req'],
    ...outcomes.map((o) => [
      o.name,
      String(o.requests),
      o.rps.toFixed(0),
      String(o.p50),
      String(o.p99),
      String(o.errors),
      o.serverP99 === undefined ? '–' : o.serverP99.toFixed(0),
      o.cpuMsPerRequest === undefined ? '–' : o.cpuMsPerRequest.toFixed(2),
    ]),
  ]
  return markdownTable(rows)
}

/** The save profile; whether its target holds. */
async function benchSaves(dir: string): Promise<boolean> {
  console.log(
    `PlaceReady bench: ${partnersWanted} partners, ${connections} connections, ${duration} s per save run, ${os.cpus().length} CPUs, Node ${process.version}`,
  )
  const template = path.join(dir, 'template.sqlite')
  const { roundId, partners } = await buildDatabase(template)
  console.log(`  database: demo ICS plus ${partners.length} partner organisations and users`)
  const baseline = await benchBaseline(dir)
  // The target: saving keeps up with 40% of the baseline's requests/s, with p99 under 100 ms.
  const targetRate = Math.round(baseline.rps * 0.4)
  console.log(`  baseline: ${baseline.rps.toFixed(0)} requests/s flat out; the target pace is 40% of it, ${targetRate}/s`)
  const runs = [] as Array<{ label: string; max: Outcome; paced: Outcome; busy: Outcome; submit: Outcome }>
  for (const [label, workers] of targets)
    runs.push({ label, ...(await benchApp(label, workers, template, dir, roundId, partners, targetRate)) })
  const outcomes = [baseline, ...runs.flatMap((r) => [r.max, r.paced, r.busy, r.submit])]
  console.log('')
  console.log(table(outcomes))
  console.log('')
  for (const o of outcomes) if (o.errors > 0 || o.statuses['not sent']) console.log(`  ${o.name}: responses ${JSON.stringify(o.statuses)}`)
  let holds = outcomes.every((o) => o.errors === 0)
  for (const { label, max, paced } of runs) {
    // Kept up: served (nearly) all it was offered; autocannon corrects latency for any it fell behind on.
    const keptUp = paced.rps >= targetRate * 0.95
    const ok = keptUp && paced.p99 < 100 && paced.errors === 0
    holds &&= ok
    console.log(
      `Target (saving at 40% of the baseline's requests/s, ${targetRate}/s, with p99 < 100 ms and no errors), ${label}: ` +
        `served ${paced.rps.toFixed(0)}/s with p99 ${paced.p99} ms and ${paced.errors} errors – ${ok ? 'holds' : 'does NOT hold'}` +
        ` (flat out: ${max.rps.toFixed(0)}/s, ${((max.rps / baseline.rps) * 100).toFixed(0)}% of the baseline)`,
    )
  }
  return holds
}

/** Each profile, by the name that runs it alone; given the working directory and the arguments after its name. */
const profiles: Record<string, (dir: string, args: string[]) => Promise<boolean>> = {
  saves: benchSaves,
  pages: benchPages,
  reports: benchReports,
  exports: benchExports,
  import: benchImport,
}

async function main(): Promise<number> {
  const [asked, ...args] = process.argv.slice(2)
  if (asked !== undefined && !(asked in profiles)) {
    console.error(`Unknown bench profile "${asked}": use one of ${Object.keys(profiles).join(', ')}, or none for all`)
    return 2
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-bench-'))
  try {
    let holds = true
    for (const [name, run] of Object.entries(profiles)) {
      if (asked !== undefined && name !== asked) continue
      holds = (await run(dir, args)) && holds
      console.log('')
    }
    console.log(holds ? 'Every target holds.' : 'Some target does NOT hold (see above).')
    return holds ? 0 : 1
  } finally {
    if (process.env.BENCH_KEEP === 'on') console.log(`Kept ${dir}`)
    else fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv.includes('--baseline-server')) {
  runBaselineServer()
} else if (process.argv.includes('--page-baseline-server')) {
  runPageBaselineServer()
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    },
  )
}
