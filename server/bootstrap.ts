import type { AppConfig } from './config'
import type { Database } from './db/connection'
import { migrateToLatest } from './db/migrate'
import { seedDemo } from './demo/seed'
import type { Logger } from './logger'
import type { Services } from './services'

export interface PreparedDatabase {
  migrationsApplied: string[]
  frameworksLoaded: number
  demoSeeded: boolean
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
  options: { now?: Date; demoPasswordHash?: string } = {},
): Promise<PreparedDatabase> {
  const migrationsApplied = await migrateToLatest(db)
  if (migrationsApplied.length > 0) logger.info({ migrations: migrationsApplied }, 'Database migrated')
  const imports = await services.frameworks.importBundled()
  const created = imports.filter((i) => i.created)
  if (created.length > 0) logger.info({ versions: created.map((i) => i.version.slug) }, 'Frameworks loaded')
  let demoSeeded = false
  if (config.demo) {
    const result = await seedDemo(db, {
      now: options.now ?? new Date(),
      ...(options.demoPasswordHash ? { passwordHash: options.demoPasswordHash } : {}),
    })
    demoSeeded = result.seeded
    if (!result.seeded) logger.warn(`Demo data not added: ${result.reason}`)
  }
  return { migrationsApplied, frameworksLoaded: imports.length, demoSeeded }
}
