import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import ejs from 'ejs'
import express from 'express'
import { hashPassword } from '../../server/auth/passwords'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { createDatabase } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { demoIcs } from '../../server/demo/demoData'
import { migrateToLatest } from '../../server/db/migrate'
import { createLogger } from '../../server/logger'
import { generateNationalData } from '../../server/ops/nationalData'
import { createServices } from '../../server/services'
import {
  cpuMs,
  extraNodeArguments,
  freePort,
  markdownTable,
  memoryMb,
  percentile,
  root,
  ServerLog,
  signIn,
  startArguments,
  startProcess,
  stopProcess,
} from './support'

/**
 * The page profile (`npm run bench -- pages`): the pages each role uses most, each signed in
 * as its role with its own session, against a server started exactly as `npm start` starts it
 * (its node flags, NODE_ENV unset), on the demo data and on the national-scale data
 * (server/ops/nationalData.ts). For comparison, a bare Express + EJS server that renders a
 * trivial page with a layout and 40 rows (views cached, as Express does in production).
 *
 * Each page is loaded flat out by BENCH_PAGE_CONNECTIONS connections (20) for
 * BENCH_PAGE_DURATION s (10), after a warm-up: 40 requests, then BENCH_PAGE_WARMUP s (3) of the
 * same load, unmeasured, so that a page is measured as a running server serves it, its code
 * already optimised by V8 (measured straight after 40 requests, the domain page's first 5 s cost
 * about a quarter more CPU a request than every 5 s after). Shown per page: requests/s and its share
 * of the bare page's, p50 and p99 (client side), the p99 the server logged, the server's CPU
 * time per request and its peak memory during the run. Any status but 200 is an error. The bare
 * page is loaded again for BENCH_BARE_DURATION s (5) just before each page, and the page's
 * share is of that run: on a machine shared with other work, both see the same load.
 *
 * `npm run bench -- pages national` runs one data set; more words keep only the pages whose
 * names contain one of them (`npm run bench -- pages demo domain framework`).
 */

const connections = Number(process.env.BENCH_PAGE_CONNECTIONS ?? 20)
const duration = Number(process.env.BENCH_PAGE_DURATION ?? 10)
const password = 'bench-password-1234'
/** How long each page is loaded, unmeasured, before it is measured (s); the bare page only before its first run. */
const warmUpDuration = Number(process.env.BENCH_PAGE_WARMUP ?? 3)
/** How long the bare page is loaded before each page (s). */
const bareDuration = Number(process.env.BENCH_BARE_DURATION ?? Math.min(5, duration))
/** The server's memory must stay under this throughout (MB). */
const memoryLimitMb = 300
/** Every page's p99 on the national-scale data must be under this (ms). */
const nationalP99LimitMs = 100

/** nine_ics_lead: the lead of a 9-place ICS (the demo's, or the national data's nearest to 9 places). */
type Role = 'partner' | 'place_lead' | 'ics_lead' | 'nine_ics_lead'

/** Where the pages are, in one data set: the round and the place, organisation and users in it. */
interface PageContext {
  roundId: number
  /** The open round of the 9-place ICS (the demo's is the demo round). */
  nineRoundId: number
  placeId: number
  organisationId: number
  /** The e-mail of the user signed in for each role. */
  users: Record<Role, string>
  password: string
}

interface PageSpec {
  name: string
  /** Who is signed in (null: nobody). */
  role: Role | null
  path: (c: PageContext) => string
  /** The least share of the bare page's requests/s it must reach, if it has a target. */
  share?: number
  /** A p99 it must stay under on every data set (ms), if it has one. */
  p99?: number
}

/** The pages measured, in order. One line adds a page. */
export const pages: PageSpec[] = [
  { name: 'public /framework', role: null, path: () => '/framework', share: 0.35 },
  { name: 'partner task list', role: 'partner', path: (c) => `/rounds/${c.roundId}/organisations/${c.organisationId}` },
  {
    name: 'partner domain page',
    role: 'partner',
    path: (c) => `/rounds/${c.roundId}/organisations/${c.organisationId}/domains/LC`,
    share: 0.35,
  },
  { name: 'place lead’s place page', role: 'place_lead', path: (c) => `/places/${c.placeId}`, share: 0.25 },
  { name: 'ICS lead’s round page for a place', role: 'ics_lead', path: (c) => `/rounds/${c.roundId}/places/${c.placeId}`, share: 0.25 },
  { name: 'round management page', role: 'ics_lead', path: (c) => `/rounds/${c.roundId}/manage` },
  { name: '/places', role: 'ics_lead', path: () => '/places' },
  { name: 'dashboard, 9-place ICS', role: 'nine_ics_lead', path: (c) => `/rounds/${c.nineRoundId}/dashboard`, share: 0.25, p99: 50 },
  { name: 'dashboard, largest ICS', role: 'ics_lead', path: (c) => `/rounds/${c.roundId}/dashboard`, share: 0.25, p99: 50 },
  { name: 'audit trail', role: 'ics_lead', path: () => '/admin/audit' },
  { name: 'outbox', role: 'ics_lead', path: () => '/admin/outbox' },
  { name: 'invitations', role: 'ics_lead', path: () => '/admin/invitations' },
  { name: 'users list', role: 'ics_lead', path: () => '/admin/users' },
]

interface Dataset {
  /** Fills a fresh SQLite file; where the pages are in it. */
  build(file: string): Promise<PageContext>
  /** The server's environment for this data. */
  env: Record<string, string>
}

const datasets: Record<'demo' | 'national', Dataset> = {
  demo: {
    // As a newcomer's `npm start` makes it: the demo ICS. Wirral's partner, place lead and the ICS lead.
    async build(file) {
      const config = { ...loadConfig({ DEMO: 'on', DEMO_PASSWORD: password }), database: { client: 'sqlite' as const, filename: file } }
      const db = createDatabase(config.database)
      const logger = createLogger('silent')
      try {
        await prepareDatabase(db, createServices(db, config, logger), config, logger)
        const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number }
        // The round open now: the demo also holds its next round, set up early, which has not opened.
        const round = (await db('rounds')
          .where({ ics_id: ics.id })
          .where('opens_at', '<=', timestamp())
          .orderBy('opens_at', 'desc')
          .first('id')) as { id: number }
        const place = (await db('places').where({ ics_id: ics.id, slug: 'wirral' }).first('id')) as { id: number }
        const organisation = (await db('organisations').where({ place_id: place.id, name: 'Wirral Council' }).first('id')) as { id: number }
        return {
          roundId: round.id,
          nineRoundId: round.id,
          placeId: place.id,
          organisationId: organisation.id,
          users: {
            partner: 'partner.wirral.council@example.org',
            place_lead: 'place.lead.wirral@example.org',
            ics_lead: 'ics.lead@example.org',
            nine_ics_lead: 'ics.lead@example.org',
          },
          password,
        }
      } finally {
        await db.destroy()
      }
    },
    env: { DEMO: 'on', DEMO_PASSWORD: password },
  },
  national: {
    // 42 ICSs, 200 places, 2,000 organisations, 3 rounds: users of the largest ICS.
    async build(file) {
      const db = createDatabase({ client: 'sqlite', filename: file })
      try {
        await migrateToLatest(db)
        const summary = await generateNationalData(db, { passwordHash: await hashPassword(password) })
        const nineRound = (await db('rounds').where({ ics_id: summary.nineOrNearest.id }).orderBy('opens_at', 'desc').first('id')) as {
          id: number
        }
        return {
          roundId: summary.openRoundId,
          nineRoundId: nineRound.id,
          placeId: summary.sample.placeId,
          organisationId: summary.sample.organisationId,
          users: {
            partner: summary.sample.partnerEmail,
            place_lead: summary.sample.placeLeadEmail,
            ics_lead: summary.largest.icsLeadEmail,
            nine_ics_lead: summary.nineOrNearest.icsLeadEmail,
          },
          password,
        }
      } finally {
        await db.raw('pragma wal_checkpoint(truncate)')
        await db.destroy()
      }
    },
    env: { DEMO: 'off' },
  },
}

// ---------------------------------------------------------------------------------------
// The baseline: a bare Express + EJS page with a layout and 40 rows, views cached.

const baselineViews = path.join(root, 'scripts/bench/views')

export function runPageBaselineServer(): void {
  const app = express()
  const layout = path.join(baselineViews, 'layout.ejs')
  app.engine('ejs', (file, locals, callback) => {
    ejs.renderFile(file, locals, { cache: true }, (error, body) => {
      if (error) return callback(error)
      ejs.renderFile(layout, { ...locals, body }, { cache: true }, callback)
    })
  })
  app.set('view engine', 'ejs')
  app.set('views', baselineViews)
  app.enable('view cache')
  const rows = Array.from({ length: 40 }, (_, i) => ({
    name: `Row ${i + 1}`,
    level: (i % 4) + 1,
    updated: new Date(Date.UTC(2026, 10, 1 + (i % 28))),
  }))
  app.get('/', (_req, res) => res.render('rows', { title: 'Forty rows', rows }))
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }))
  app.listen(Number(process.env.PORT), '127.0.0.1')
}

// ---------------------------------------------------------------------------------------
// Measuring.

interface PageOutcome {
  name: string
  data: string
  requests: number
  rps: number
  p50: number
  p99: number
  serverP99: number | undefined
  cpuMsPerRequest: number | undefined
  peakMb: number | undefined
  errors: number
  statuses: Record<string, number>
  spec?: PageSpec
  /** The bare page's requests/s measured just before this page, the one its share is of. */
  bareRps?: number
}

async function load(
  name: string,
  data: string,
  pid: number,
  url: string,
  headers: Record<string, string>,
  log?: ServerLog,
  seconds = duration,
  warmUpSeconds = warmUpDuration,
): Promise<PageOutcome> {
  // Warm up: the first requests compile templates and fill caches, and the load that follows
  // lets V8 optimise the code the page runs, all of which a running server has done.
  await autocannon({ url, headers, connections: 2, amount: 40 })
  if (warmUpSeconds > 0) await autocannon({ url, headers, connections, duration: warmUpSeconds })
  log?.take('GET')
  const statuses: Record<string, number> = {}
  let peakMb = memoryMb(pid)
  const sampler = setInterval(() => {
    const now = memoryMb(pid)
    if (now !== undefined) peakMb = Math.max(peakMb ?? 0, now)
  }, 100)
  const cpuBefore = cpuMs(pid)
  const result = await autocannon({
    url,
    headers,
    connections,
    duration: seconds,
    requests: [{ onResponse: (status: number) => void (statuses[status] = (statuses[status] ?? 0) + 1) } as unknown as autocannon.Request],
  })
  const cpuAfter = cpuMs(pid)
  clearInterval(sampler)
  const total = result.requests.total
  const unexpected = Object.entries(statuses)
    .filter(([status]) => status !== '200')
    .reduce((sum, [, n]) => sum + n, 0)
  return {
    name,
    data,
    requests: total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    serverP99: log ? percentile(log.take('GET'), 99) : undefined,
    cpuMsPerRequest: cpuBefore === undefined || cpuAfter === undefined || total === 0 ? undefined : (cpuAfter - cpuBefore) / total,
    peakMb,
    errors: result.errors + unexpected,
    statuses,
  }
}

/** The bare page's server, kept running for the whole profile. */
interface BareServer {
  /** Loads the bare page (for `seconds`, default the page duration): its requests/s now. Warmed up before its first run only. */
  measure(seconds?: number): Promise<PageOutcome>
  stop(): Promise<void>
}

async function startBareServer(): Promise<BareServer> {
  const port = await freePort()
  const child = await startProcess(['--import', 'tsx', 'scripts/bench.ts', '--page-baseline-server'], {}, port)
  let warm = false
  return {
    measure: async (seconds) => {
      const outcome = await load(bareName, '–', child.pid!, `http://127.0.0.1:${port}/`, {}, undefined, seconds, warm ? 0 : warmUpDuration)
      warm = true
      return outcome
    },
    stop: () => stopProcess(child),
  }
}

const bareName = 'bare Express + EJS page (layout, 40 rows)'

async function benchDataset(
  name: 'demo' | 'national',
  dir: string,
  wanted: (spec: PageSpec) => boolean,
  bare: BareServer,
  bareRuns: PageOutcome[],
): Promise<PageOutcome[]> {
  const dataset = datasets[name]
  const file = path.join(dir, `pages-${name}.sqlite`)
  const built = performance.now()
  const context = await dataset.build(file)
  console.log(`  ${name} data built (${((performance.now() - built) / 1000).toFixed(1)} s)`)
  const port = await freePort()
  const log = new ServerLog(path.join(dir, `pages-${name}.log`))
  const child = await startProcess(
    [...extraNodeArguments, ...startArguments],
    {
      NODE_ENV: '',
      DATABASE_FILE: file,
      DATABASE_URL: '',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      SIGN_IN_RATE_LIMIT: '10000',
      REMINDER_INTERVAL_SECONDS: '0',
      ...dataset.env,
    },
    port,
    log.file,
  )
  try {
    const base = `http://127.0.0.1:${port}`
    const sessions: Partial<Record<Role, string>> = {}
    for (const role of ['partner', 'place_lead', 'ics_lead', 'nine_ics_lead'] as const)
      sessions[role] = await signIn(base, context.users[role], context.password)
    const outcomes: PageOutcome[] = []
    for (const spec of pages.filter(wanted)) {
      const headers: Record<string, string> = spec.role ? { cookie: sessions[spec.role]! } : {}
      // The bare page just before, so that whatever else the machine is doing weighs on both alike.
      const before = await bare.measure(bareDuration)
      bareRuns.push(before)
      const outcome = { ...(await load(spec.name, name, child.pid!, base + spec.path(context), headers, log)), bareRps: before.rps }
      outcomes.push({ ...outcome, spec })
      console.log(`  ${name}: ${spec.name}: ${outcome.rps.toFixed(0)} requests/s, p99 ${outcome.p99} ms`)
    }
    const peak = memoryMb(child.pid!, 'VmHWM')
    outcomes.push({
      name: 'server peak memory, whole run',
      data: name,
      requests: 0,
      rps: 0,
      p50: 0,
      p99: 0,
      serverP99: undefined,
      cpuMsPerRequest: undefined,
      peakMb: peak,
      errors: 0,
      statuses: {},
    })
    return outcomes
  } finally {
    await stopProcess(child)
  }
}

/** The bare page's runs as one row: requests/s and latency weighted by requests, the worst p99 and memory. */
function combine(runs: PageOutcome[]): PageOutcome {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0)
  const weighted = (pick: (r: PageOutcome) => number) => runs.reduce((sum, r) => sum + pick(r) * r.requests, 0) / Math.max(1, requests)
  const cpu = runs.every((r) => r.cpuMsPerRequest !== undefined) ? weighted((r) => r.cpuMsPerRequest!) : undefined
  return {
    name: runs.length > 1 ? `${bareName}, ${runs.length} runs` : bareName,
    data: '–',
    requests,
    rps: weighted((r) => r.rps),
    p50: Math.round(weighted((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    serverP99: undefined,
    cpuMsPerRequest: cpu,
    peakMb: Math.max(...runs.map((r) => r.peakMb ?? 0)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    statuses: {},
  }
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '–' : value.toFixed(digits))

/** A page's requests/s as a share of the bare page's measured just before it. */
const shareOf = (o: PageOutcome, baseline: PageOutcome) => o.rps / (o.bareRps ?? baseline.rps)

function pageTable(baseline: PageOutcome, outcomes: PageOutcome[]): string {
  return markdownTable([
    ['page', 'data', 'req/s', 'bare req/s', '% of bare', 'p50 ms', 'p99 ms', 'server p99 ms', 'CPU ms/req', 'peak MB', 'errors'],
    ...[baseline, ...outcomes].map((o) =>
      o.requests === 0 && o !== baseline
        ? [o.name, o.data, '', '', '', '', '', '', '', fixed(o.peakMb, 0), '']
        : [
            o.name,
            o.data,
            o.rps.toFixed(0),
            (o.bareRps ?? baseline.rps).toFixed(0),
            `${(shareOf(o, baseline) * 100).toFixed(0)}%`,
            String(o.p50),
            String(o.p99),
            fixed(o.serverP99, 0),
            fixed(o.cpuMsPerRequest, 2),
            fixed(o.peakMb, 0),
            String(o.errors),
          ],
    ),
  ])
}

/** The page profile; whether every target holds. */
export async function benchPages(dir: string, args: string[]): Promise<boolean> {
  const names = args.filter((a) => a === 'demo' || a === 'national') as Array<'demo' | 'national'>
  const words = args.filter((a) => a !== 'demo' && a !== 'national').map((w) => w.toLowerCase())
  const wanted = (spec: PageSpec) => words.length === 0 || words.some((w) => spec.name.toLowerCase().includes(w))
  console.log(
    `Pages: ${connections} connections, ${duration} s per page, ${os.cpus().length} CPUs, Node ${process.version}, server as npm start (${startArguments.join(' ')})`,
  )
  const bare = await startBareServer()
  const bareRuns: PageOutcome[] = []
  const outcomes: PageOutcome[] = []
  try {
    // The bare page's own row: a full run first, then every run before a page taken together.
    bareRuns.push(await bare.measure())
    console.log(`  bare page: ${bareRuns[0]!.rps.toFixed(0)} requests/s`)
    for (const name of names.length > 0 ? names : (['demo', 'national'] as const))
      outcomes.push(...(await benchDataset(name, dir, wanted, bare, bareRuns)))
  } finally {
    await bare.stop()
  }
  const baseline = combine(bareRuns)
  console.log('')
  console.log(pageTable(baseline, outcomes))
  console.log('')

  const failures: string[] = []
  const check = (ok: boolean, text: string) => {
    console.log(`Target: ${text} – ${ok ? 'holds' : 'does NOT hold'}`)
    if (!ok) failures.push(text)
  }
  for (const o of outcomes) {
    if (o.requests === 0) {
      if (o.peakMb !== undefined)
        check(o.peakMb < memoryLimitMb, `server memory under ${memoryLimitMb} MB, ${o.data} data: peak ${o.peakMb.toFixed(0)} MB`)
      continue
    }
    const share = shareOf(o, baseline)
    if (o.spec?.share !== undefined)
      check(
        share >= o.spec.share,
        `${o.name}, ${o.data} data, at least ${(o.spec.share * 100).toFixed(0)}% of the bare page's requests/s: ${(share * 100).toFixed(0)}%`,
      )
    if (o.spec?.p99 !== undefined) check(o.p99 < o.spec.p99, `${o.name}, ${o.data} data, p99 under ${o.spec.p99} ms: ${o.p99} ms`)
    if (o.data === 'national')
      check(o.p99 < nationalP99LimitMs, `${o.name}, national data, p99 under ${nationalP99LimitMs} ms: ${o.p99} ms`)
    if (o.errors > 0) check(false, `${o.name}, ${o.data} data, no errors: responses ${JSON.stringify(o.statuses)}`)
  }
  if (failures.length > 0) console.log(`\nPage targets that do NOT hold:\n${failures.map((f) => `  - ${f}`).join('\n')}`)
  return failures.length === 0 && baseline.errors === 0
}
