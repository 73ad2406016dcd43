import path from 'node:path'
import { hashPassword } from '../../server/auth/passwords'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { createDatabase } from '../../server/db/connection'
import { timestamp } from '../../server/db/values'
import { createLogger } from '../../server/logger'
import { createServices } from '../../server/services'
import { markdownTable } from './support'

/**
 * The import profile (`npm run bench -- import`): a CSV import of 10,000 rows (BENCH_IMPORT_PLACES
 * places of 33 organisations with three contacts each, and the place rows), checked and then
 * imported in one transaction by the import service, on a throwaway SQLite database, as an ICS
 * lead's upload and confirmation do. Prints how long each took; there is no target, only the
 * time it takes to see (the test suite proves it completes).
 */
export async function benchImport(dir: string): Promise<boolean> {
  const places = Number(process.env.BENCH_IMPORT_PLACES ?? 100)
  const config = {
    ...loadConfig({ NODE_ENV: 'production', DEMO: 'off', LOG_LEVEL: 'silent' }),
    database: { client: 'sqlite' as const, filename: path.join(dir, 'import.sqlite') },
  }
  const db = createDatabase(config.database)
  const logger = createLogger('silent')
  const services = createServices(db, config, logger)
  try {
    await prepareDatabase(db, services, config, logger)
    const { icsId } = await services.icss.create({ name: 'Bench ICS', leadEmail: 'bench.lead@example.org' })
    const [user] = (await db('users').insert(
      {
        email: 'bench.lead@example.org',
        name: 'Bench Lead',
        password_hash: await hashPassword('bench-password-1234'),
        is_active: true,
        created_at: timestamp(),
      },
      ['id'],
    )) as Array<{ id: number }>
    await db('memberships').insert({ user_id: user!.id, role: 'ics_lead', ics_id: icsId, created_at: timestamp() })
    const lead = (await services.accounts.currentUser(user!.id))!

    const rows = ['Place,Organisation,Organisation type,Contact name,Contact email']
    for (let p = 0; p < places; p++) {
      rows.push(`Bench Place ${p},,,,`)
      for (let o = 0; o < 33; o++) {
        for (const role of ['lead', 'deputy', 'analyst'])
          rows.push(`Bench Place ${p},Bench Organisation ${p}-${o},VCSE,${role} ${p}-${o},${role}.${p}.${o}@bench.example`)
      }
    }
    const csv = Buffer.from(rows.join('\n'), 'utf8')

    let started = performance.now()
    const id = await services.imports.start({ user: lead, ip: undefined }, icsId, 'bench.csv', csv)
    await services.imports.idle()
    const checkMs = performance.now() - started
    const checked = await services.imports.progress(lead, id)
    if (checked.job.status !== 'checked') throw new Error(`The bench file did not check clean: ${checked.job.status}`)
    started = performance.now()
    await services.imports.confirm({ user: lead, ip: undefined }, id)
    await services.imports.idle()
    const importMs = performance.now() - started
    const { job } = await services.imports.progress(lead, id)
    if (job.status !== 'imported') throw new Error(`The bench import did not complete: ${job.status}`)

    console.log(
      `CSV import of ${(rows.length - 1).toLocaleString('en-GB')} rows (${(csv.length / 1024 / 1024).toFixed(1)} MB), SQLite, one process`,
    )
    console.log(
      markdownTable([
        ['step', 'rows', 'seconds'],
        ['check (every row, for the preview)', String(job.counts!.rows), (checkMs / 1000).toFixed(2)],
        [
          `import (${job.counts!.places} places, ${job.counts!.organisations} organisations, ${job.counts!.contacts} invitations, one transaction)`,
          String(job.counts!.rows),
          (importMs / 1000).toFixed(2),
        ],
      ]),
    )
    return true
  } finally {
    services.mailer.close()
    await db.destroy()
  }
}
