import { execFileSync } from 'node:child_process'
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { CurrentUser } from '../server/auth/types'
import { prepareDatabase } from '../server/bootstrap'
import { loadConfig } from '../server/config'
import { createDatabase } from '../server/db/connection'
import { UserData } from '../server/data/users'
import { createLogger } from '../server/logger'
import { writePdf } from '../server/reports/renderPdf'
import { createServices } from '../server/services'

/**
 * Renders the demo's reports to PDF and to one PNG per page (with poppler's pdftoppm), so a
 * person can look at every page: `npx tsx scripts/render-reports.ts [folder]` (default
 * test-output/reports). Uses a throwaway demo database, never the configured one.
 */
async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? 'test-output/reports')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const folder = mkdtempSync(path.join(tmpdir(), 'placeready-reports-'))
  const config = {
    ...loadConfig({ DEMO: 'on', DEMO_PASSWORD: 'render-reports-only', LOG_LEVEL: 'silent' }),
    database: { client: 'sqlite' as const, filename: path.join(folder, 'demo.sqlite') },
  }
  const db = createDatabase(config.database)
  try {
    const logger = createLogger('silent')
    const services = createServices(db, config, logger)
    await prepareDatabase(db, services, config, logger)
    const users = new UserData(db)
    const lead = (await users.findByEmail('ics.lead@example.org'))!
    const user: CurrentUser = (await services.accounts.currentUser(lead.id))!
    const rounds = (await db('rounds').orderBy('closes_at').select('id', 'title')) as Array<{ id: number; title: string }>
    const places = (await db('places').whereIn('slug', ['wirral', 'liverpool']).select('id', 'slug')) as Array<{ id: number; slug: string }>
    const jobs: Array<{ name: string; build: () => ReturnType<typeof services.reports.systemReport> }> = []
    rounds.forEach((round, i) => {
      const label = i === 0 ? 'baseline' : 'current'
      jobs.push({ name: `system-${label}`, build: () => services.reports.systemReport(user, round.id) })
      for (const place of places)
        jobs.push({ name: `${place.slug}-${label}`, build: () => services.reports.placeReport(user, round.id, place.id) })
    })
    for (const job of jobs) {
      const report = await job.build()
      const file = path.join(out, `${job.name}.pdf`)
      await writePdf(report.document, createWriteStream(file))
      execFileSync('pdftoppm', ['-png', '-r', '80', file, path.join(out, job.name)])
      console.log(`${file}: ${readdirSync(out).filter((f) => f.startsWith(`${job.name}-`)).length} pages`)
    }
  } finally {
    await db.destroy()
    rmSync(folder, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
