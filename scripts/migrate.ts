import { ConfigError, loadConfig } from '../server/config'
import { createDatabase } from '../server/db/connection'
import { migrateToLatest } from '../server/db/migrate'

/** `npm run migrate`: brings the configured database's schema up to date, then exits. */
async function main(): Promise<void> {
  const config = loadConfig()
  const db = createDatabase(config.database)
  try {
    const applied = await migrateToLatest(db)
    console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database already up to date')
  } finally {
    await db.destroy()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
})
