import { randomBytes } from 'node:crypto'
import { hashPassword } from './auth/passwords'
import type { AppConfig } from './config'
import type { Database } from './db/connection'
import { migrateToLatest } from './db/migrate'
import { sharedSecret } from './data/secrets'
import { seedDemo } from './demo/seed'
import { seedApiTokens } from './demo/seedApiTokens'
import type { Logger } from './logger'
import type { Services } from './services'

export interface PreparedDatabase {
  migrationsApplied: string[]
  frameworksLoaded: number
  demoSeeded: boolean
  /** The demo users' password when it was generated at this start (DEMO_PASSWORD unset), to print. */
  generatedDemoPassword?: string
}

/** A readable random password: four groups of five letters and digits. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  const bytes = randomBytes(20)
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length])
  return [0, 5, 10, 15].map((i) => chars.slice(i, i + 5).join('')).join('-')
}

/**
 * Everything that must happen once before an instance serves: schema up to date, the
 * bundled frameworks loaded (idempotent by content hash), and the demo ICS when enabled.
 */
export async function prepareDatabase(
  db: Database,
  services: Services,
  config: AppConfig,
  logger: Logger,
  options: { now?: Date } = {},
): Promise<PreparedDatabase> {
  const migrationsApplied = await migrateToLatest(db)
  if (migrationsApplied.length > 0) logger.info({ migrations: migrationsApplied }, 'Database migrated')
  const imports = await services.frameworks.importBundled()
  const created = imports.filter((i) => i.created)
  if (created.length > 0) logger.info({ versions: created.map((i) => i.version.slug) }, 'Frameworks loaded')
  let demoSeeded = false
  let generatedDemoPassword: string | undefined
  if (config.demo) {
    // The demo password is (re)applied at every start, so the one printed always works.
    const password = config.demoPassword ?? (generatedDemoPassword = generatePassword())
    const result = await seedDemo(db, { now: options.now ?? new Date(), passwordHash: await hashPassword(password) })
    demoSeeded = result.seeded
    if (result.seeded) await seedApiTokens(db, { demoApiToken: config.demoApiToken, now: options.now ?? new Date() })
    if (!result.seeded) logger.warn(`Demo data not added: ${result.reason}`)
  }
  return { migrationsApplied, frameworksLoaded: imports.length, demoSeeded, ...(generatedDemoPassword ? { generatedDemoPassword } : {}) }
}

/** SESSION_SECRET when set; otherwise one secret kept in the database, the same for every instance. */
export async function resolveSessionSecret(db: Database, config: AppConfig): Promise<string> {
  return config.sessionSecret ?? sharedSecret(db, 'session')
}
