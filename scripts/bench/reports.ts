import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import PDFDocument from 'pdfkit'
import type { CurrentUser } from '../../server/auth/types'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import type { Database } from '../../server/db/connection'
import { createDatabase } from '../../server/db/connection'
import { demoIcs } from '../../server/demo/demoData'
import { createLogger } from '../../server/logger'
import { writePdf } from '../../server/reports/renderPdf'
import { createServices, type Services } from '../../server/services'
import { markdownTable, percentile, root } from './support'

/**
 * The report profile (`npm run bench -- reports [demo|national]`): the place report and the
 * system report of a 9-place ICS (the demo's) and of the largest ICS of the national-scale data,
 * each built from the results read model and written as a PDF exactly as a download is (the
 * service, then writePdf into a stream that discards the bytes), one after another,
 * BENCH_REPORT_RUNS times (30) after 3 warm-ups. Beside them, in the same process, a one-page
 * pdfkit "hello" document: pdfkit's own floor. Shown: median, p90 and slowest time, the PDF's
 * size and pages, the CPU time each took (what it costs, whatever else the machine is doing) and the
 * process's peak memory (RSS) while each ran. Then 20 system reports at once, with the longest the
 * event loop was held up meanwhile: what another request would wait.
 *
 * Targets: place report median under 150 ms, system report median under 600 ms, on both data sets.
 */

const runs = Number(process.env.BENCH_REPORT_RUNS ?? 30)
const concurrent = 20
const targets = { place: 150, system: 600 } as const
const password = 'bench-password-1234'

interface Subject {
  data: string
  services: Services
  db: Database
  user: CurrentUser
  roundId: number
  placeId: number
  places: number
}

interface Outcome {
  name: string
  data: string
  kind: 'place' | 'system' | 'hello'
  median: number
  /** CPU time the process spent per report (median): the cost, apart from other work on the machine. */
  cpuMedian: number
  p90: number
  max: number
  bytes: number
  pages: number
  peakRssMb: number
}

/** A stream that counts what is written and keeps nothing. */
function sink(): { stream: Writable; bytes: () => number; pages: () => number } {
  let bytes = 0
  let pages = 0
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      // Each page object says /Type /Page once (the page tree says /Pages).
      pages += chunk.toString('latin1').match(/\/Type \/Page\b/g)?.length ?? 0
      callback()
    },
  })
  return { stream, bytes: () => bytes, pages: () => pages }
}

async function hello(out: Writable): Promise<void> {
  const doc = new PDFDocument({ size: 'A4' })
  const done = new Promise<void>((resolve) => out.on('finish', resolve))
  doc.pipe(out)
  doc.fontSize(24).text('Hello')
  doc.end()
  await done
}

async function time(name: string, data: string, kind: Outcome['kind'], once: (out: Writable) => Promise<void>): Promise<Outcome> {
  for (let i = 0; i < 3; i++) await once(sink().stream)
  const times: number[] = []
  const cpu: number[] = []
  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2)
  let last = sink()
  for (let i = 0; i < runs; i++) {
    last = sink()
    const start = performance.now()
    const cpuStart = process.cpuUsage()
    await once(last.stream)
    times.push(performance.now() - start)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1000)
    peak = Math.max(peak, process.memoryUsage().rss)
  }
  clearInterval(sampler)
  return {
    name,
    data,
    kind,
    median: percentile(times, 50)!,
    cpuMedian: percentile(cpu, 50)!,
    p90: percentile(times, 90)!,
    max: Math.max(...times),
    bytes: last.bytes(),
    pages: last.pages(),
    peakRssMb: peak / 1024 / 1024,
  }
}

async function demoSubject(dir: string): Promise<Subject> {
  const config = {
    ...loadConfig({ DEMO: 'on', DEMO_PASSWORD: password, LOG_LEVEL: 'silent' }),
    database: { client: 'sqlite' as const, filename: path.join(dir, 'reports-demo.sqlite') },
  }
  const db = createDatabase(config.database)
  const logger = createLogger('silent')
  const services = createServices(db, config, logger)
  await prepareDatabase(db, services, config, logger)
  const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number }
  const round = (await db('rounds').where({ ics_id: ics.id }).orderBy('opens_at', 'desc').first('id')) as { id: number }
  const place = (await db('places').where({ ics_id: ics.id, slug: 'wirral' }).first('id')) as { id: number }
  const lead = (await db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }
  const places = (await db('round_places').where({ round_id: round.id }).select('place_id')).length
  return {
    data: 'demo (9 places)',
    services,
    db,
    user: (await services.accounts.currentUser(lead.id))!,
    roundId: round.id,
    placeId: place.id,
    places,
  }
}

/**
 * Fills the national-scale data in a child process, so what generating it leaves on this
 * process's heap is not counted against the reports.
 */
function buildNational(file: string): { icsLeadEmail: string; openRoundId: number; placeId: number } {
  const module = (name: string) => JSON.stringify(path.join(root, name))
  const script = `
    const { createDatabase } = require(${module('server/db/connection')})
    const { migrateToLatest } = require(${module('server/db/migrate')})
    const { hashPassword } = require(${module('server/auth/passwords')})
    const { generateNationalData } = require(${module('server/ops/nationalData')})
    ;(async () => {
      const db = createDatabase({ client: 'sqlite', filename: ${JSON.stringify(file)} })
      await migrateToLatest(db)
      const s = await generateNationalData(db, { passwordHash: await hashPassword(${JSON.stringify(password)}) })
      await db.raw('pragma wal_checkpoint(truncate)')
      await db.destroy()
      process.stdout.write(JSON.stringify({ icsLeadEmail: s.largest.icsLeadEmail, openRoundId: s.openRoundId, placeId: s.sample.placeId }))
    })()`
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', maxBuffer: 1024 * 1024 })
  return JSON.parse(output.slice(output.lastIndexOf('{'))) as { icsLeadEmail: string; openRoundId: number; placeId: number }
}

async function nationalSubject(dir: string): Promise<Subject> {
  const file = path.join(dir, 'reports-national.sqlite')
  const summary = buildNational(file)
  const config = { ...loadConfig({ DEMO: 'off', LOG_LEVEL: 'silent' }), database: { client: 'sqlite' as const, filename: file } }
  const db = createDatabase(config.database)
  const services = createServices(db, config, createLogger('silent'))
  const lead = (await db('users').where({ email: summary.icsLeadEmail }).first('id')) as { id: number }
  const places = (await db('round_places').where({ round_id: summary.openRoundId }).select('place_id')).length
  return {
    data: `national, largest ICS (${places} places)`,
    services,
    db,
    user: (await services.accounts.currentUser(lead.id))!,
    roundId: summary.openRoundId,
    placeId: summary.placeId,
    places,
  }
}

/** 20 system reports at once: how long they all take, and the longest the event loop was held up. */
async function together(subject: Subject): Promise<{ totalMs: number; maxDelayMs: number; p99DelayMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const start = performance.now()
  await Promise.all(
    Array.from({ length: concurrent }, async () => {
      const report = await subject.services.reports.systemReport(subject.user, subject.roundId)
      await writePdf(report.document, sink().stream)
    }),
  )
  const totalMs = performance.now() - start
  delay.disable()
  return { totalMs, maxDelayMs: delay.max / 1e6, p99DelayMs: delay.percentile(99) / 1e6 }
}

export async function benchReports(dir: string, args: string[]): Promise<boolean> {
  const names = args.filter((a) => a === 'demo' || a === 'national')
  console.log(`Reports: ${runs} runs each after 3 warm-ups, in one process, ${os.cpus().length} CPUs, Node ${process.version}`)
  const outcomes: Outcome[] = [await time('pdfkit one-page "hello" (baseline)', '–', 'hello', hello)]
  const lines: string[] = []
  for (const name of names.length > 0 ? names : ['demo', 'national']) {
    const subject = name === 'demo' ? await demoSubject(dir) : await nationalSubject(dir)
    try {
      const { services, user, roundId, placeId } = subject
      outcomes.push(
        await time('place report', subject.data, 'place', async (out) =>
          writePdf((await services.reports.placeReport(user, roundId, placeId)).document, out),
        ),
        await time('system report', subject.data, 'system', async (out) =>
          writePdf((await services.reports.systemReport(user, roundId)).document, out),
        ),
      )
      const t = await together(subject)
      lines.push(
        `${concurrent} system reports at once, ${subject.data}: all done in ${t.totalMs.toFixed(0)} ms; event loop held up at most ${t.maxDelayMs.toFixed(0)} ms (p99 ${t.p99DelayMs.toFixed(0)} ms)`,
      )
    } finally {
      await subject.db.destroy()
    }
  }
  console.log('')
  console.log(
    markdownTable([
      ['report', 'data', 'median ms', 'CPU ms', 'p90 ms', 'slowest ms', 'pages', 'size kB', 'peak RSS MB'],
      ...outcomes.map((o) => [
        o.name,
        o.data,
        o.median.toFixed(1),
        o.cpuMedian.toFixed(1),
        o.p90.toFixed(1),
        o.max.toFixed(1),
        String(o.pages),
        (o.bytes / 1024).toFixed(0),
        o.peakRssMb.toFixed(0),
      ]),
    ]),
  )
  console.log('')
  for (const line of lines) console.log(line)
  let holds = true
  for (const o of outcomes) {
    if (o.kind === 'hello') continue
    const limit = targets[o.kind]
    const ok = o.median < limit
    holds &&= ok
    console.log(`Target: ${o.name}, ${o.data}, median under ${limit} ms: ${o.median.toFixed(0)} ms – ${ok ? 'holds' : 'does NOT hold'}`)
  }
  return holds
}
