import path from 'node:path'
import { ConfigError, loadConfig } from '../server/config'
import { BackupError, backupSqlite, postgresAdvice } from '../server/ops/backup'

/** `npm run backup`: an online copy of the SQLite database in backups/; prints its path. */
async function main(): Promise<number> {
  const config = loadConfig()
  if (config.database.client === 'postgres') {
    console.error(postgresAdvice('backup'))
    return 2
  }
  const file = await backupSqlite(config.database.filename, path.resolve('backups'))
  console.log(path.relative(process.cwd(), file))
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError || error instanceof BackupError ? error.message : error)
    process.exit(1)
  },
)
