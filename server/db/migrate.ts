import type { Knex } from 'knex'
import { migrations } from '../../migrations'
import type { Database } from './connection'

class ListedMigrationSource implements Knex.MigrationSource<[string, Knex.Migration]> {
  getMigrations(): Promise<Array<[string, Knex.Migration]>> {
    return Promise.resolve([...migrations])
  }
  getMigrationName([name]: [string, Knex.Migration]): string {
    return name
  }
  getMigration([, migration]: [string, Knex.Migration]): Promise<Knex.Migration> {
    return Promise.resolve(migration)
  }
}

const migratorConfig: Knex.MigratorConfig = {
  migrationSource: new ListedMigrationSource(),
  tableName: 'knex_migrations',
}

/** Brings the schema up to date; safe to call from several instances at once (knex locks). */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migratorConfig)) as [number, string[]]
  return applied
}

export async function pendingMigrations(db: Database): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migratorConfig)) as [unknown, Array<{ file?: string; name?: string } | string>]
  return pending.map((m) => (typeof m === 'string' ? m : (m.name ?? m.file ?? String(m))))
}
