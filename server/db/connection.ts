import fs from 'node:fs'
import path from 'node:path'
import knex, { type Knex } from 'knex'
import type { DatabaseConfig } from '../config'
import { SqliteClient } from './sqliteClient'

export type Database = Knex

/** How long an SQLite statement waits for another process's write lock before failing with SQLITE_BUSY. */
export const sqliteBusyTimeoutMs = 5000

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
    // knex's better-sqlite3 client with LIMIT and OFFSET written as integers (see sqliteClient.ts).
    client: SqliteClient as unknown as typeof knex.Client,
    connection: { filename: config.filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL')
        conn.pragma('foreign_keys = ON')
        conn.pragma(`busy_timeout = ${sqliteBusyTimeoutMs}`)
        conn.pragma('synchronous = FULL')
        cachePreparedStatements(conn)
        done(null, conn)
      },
    },
  })
}

interface SqliteConnection {
  pragma(sql: string): unknown
  prepare(sql: string): unknown
}

/** Enough for every distinct statement the app makes (whereIn lists of varying length make some more). */
const statementCacheSize = 1000

/**
 * knex prepares every statement afresh, which on SQLite costs about as much as running it.
 * The same SQL (with its bindings apart) is prepared once per connection instead, and reused:
 * better-sqlite3 runs a statement to completion synchronously, so one is never in use twice,
 * and SQLite prepares it again by itself if the schema changes under it.
 *
 * knex's transactions also begin IMMEDIATE here, taking the write lock at the start. With
 * several processes on one file (WEB_CONCURRENCY > 1), a transaction begun DEFERRED that reads
 * and then writes fails with SQLITE_BUSY, without waiting, if another process wrote in
 * between; one begun IMMEDIATE waits its turn (busy_timeout) and then cannot be overtaken.
 */
function cachePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn)
  const cache = new Map<string, unknown>()
  conn.prepare = (sql: string) => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = prepare(sql === 'BEGIN;' ? 'BEGIN IMMEDIATE;' : sql)
      if (cache.size >= statementCacheSize) cache.delete(cache.keys().next().value!)
    } else cache.delete(sql)
    cache.set(sql, statement)
    return statement
  }
}

export function isPostgres(db: Database): boolean {
  return db.client.config.client === 'pg'
}
