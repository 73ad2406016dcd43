import fs from 'node:fs'
import path from 'node:path'
import knex, { type Knex } from 'knex'
import type { DatabaseConfig } from '../config'

export type Database = Knex

/**
 * One knex instance per process. SQLite gets WAL (readers never block the writer),
 * foreign keys (off by default in SQLite) and a busy timeout so concurrent writers wait
 * rather than fail; PostgreSQL gets a modest pool.
 */
export function createDatabase(config: DatabaseConfig): Database {
  if (config.client === 'postgres') {
    return knex({
      client: 'pg',
      connection: config.connectionString,
      pool: { min: 0, max: 10 },
    })
  }
  if (config.filename !== ':memory:') fs.mkdirSync(path.dirname(config.filename), { recursive: true })
  return knex({
    client: 'better-sqlite3',
    connection: { filename: config.filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma: (sql: string) => unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL')
        conn.pragma('foreign_keys = ON')
        conn.pragma('busy_timeout = 5000')
        conn.pragma('synchronous = FULL')
        done(null, conn)
      },
    },
  })
}

export function isPostgres(db: Database): boolean {
  return db.client.config.client === 'pg'
}
