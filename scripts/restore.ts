import path from 'node:path'
import { migrations } from '../migrations'
import { ConfigError, loadConfig } from '../server/config'
import { BackupError, postgresAdvice, restoreSqlite } from '../server/ops/backup'

/** `npm run restore -- FILE`: checks a backup, then puts it in place of the SQLite database. */
async function main(): Promise<number> {
  const config = loadConfig()
  if (config.database.client === 'postgres') {
    console.error(postgresAdvice('restore'))
    return 2
  }
  const file = process.argv[2]
  if (!file || process.argv.length > 3) {
    console.error('Usage: npm run restore -- backups/placeready-YYYYMMDDTHHMMSSZ.sqlite')
    return 2
  }
  const target = config.database.filename
  console.error(`Restoring ${file} over ${path.relative(process.cwd(), target)}: PlaceReady must be stopped (every instance).`)
  const result = restoreSqlite(
    file,
    target,
    migrations.map(([name]) => name),
  )
  console.log(`Restored ${file} (${result.migrations.length} migrations; newer ones run at the next start).`)
  if (result.previous) console.log(`The database it replaced is kept as ${path.relative(process.cwd(), result.previous)}.`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof BackupError ? error.message : error)
    process.exit(1)
  },
)
