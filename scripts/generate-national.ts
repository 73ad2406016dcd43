import { parseArgs } from 'node:util'
import { hashPassword } from '../server/auth/passwords'
import { ConfigError, loadConfig } from '../server/config'
import { createDatabase } from '../server/db/connection'
import { migrateToLatest } from '../server/db/migrate'
import { generateNationalData, NationalDataError } from '../server/ops/nationalData'

/**
 * `npm run generate:national`: fills the configured database (DATABASE_FILE or DATABASE_URL)
 * with national-scale sample data: 42 ICSs, 200 places, 2,000 partner organisations, 3 rounds
 * each, every criterion answered. Every generated user's password is NATIONAL_PASSWORD (default
 * below). Options scale it: --ics, --places, --organisations, --rounds, --seed.
 */
export const defaultNationalPassword = 'national-data-password'

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ics: { type: 'string' },
      places: { type: 'string' },
      organisations: { type: 'string' },
      rounds: { type: 'string' },
      seed: { type: 'string' },
    },
  })
  const whole = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1) throw new NationalDataError(`--${name} must be a whole number of 1 or more (got "${value}")`)
    return n
  }
  const config = loadConfig()
  const password = process.env.NATIONAL_PASSWORD || defaultNationalPassword
  if (password.length < 12) throw new NationalDataError('NATIONAL_PASSWORD must be at least 12 characters')
  const db = createDatabase(config.database)
  try {
    await migrateToLatest(db)
    const started = performance.now()
    const summary = await generateNationalData(db, {
      icsCount: whole('ics', values.ics),
      placeCount: whole('places', values.places),
      organisationCount: whole('organisations', values.organisations),
      roundsPerIcs: whole('rounds', values.rounds),
      seed: whole('seed', values.seed),
      passwordHash: await hashPassword(password),
    })
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    const where = config.database.client === 'sqlite' ? config.database.filename : 'PostgreSQL (DATABASE_URL)'
    console.log(`Generated national data in ${where} in ${seconds} s:`)
    for (const [name, n] of Object.entries(summary.counts)) console.log(`  ${name.padEnd(18)} ${n.toLocaleString('en-GB')}`)
    console.log(`Largest ICS: ${summary.largest.name} (${summary.largest.places} places), ICS lead ${summary.largest.icsLeadEmail}`)
    console.log(`A place lead: ${summary.sample.placeLeadEmail}; a partner: ${summary.sample.partnerEmail}`)
    console.log(
      `Every generated user (…@national.example.org) has the password: ${password === defaultNationalPassword ? password : '(NATIONAL_PASSWORD)'}`,
    )
    return 0
  } finally {
    await db.destroy()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof NationalDataError ? error.message : error)
    process.exit(1)
  },
)
