import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import knex from 'knex'
import type { DatabaseConfig } from '../../server/config'
import { createDatabase, type Database } from '../../server/db/connection'
import { migrateToLatest } from '../../server/db/migrate'

export interface TestDatabase {
  db: Database
  config: DatabaseConfig
  /** Opens another connection pool to the same database, as a second app instance would. */
  reconnect(): Database
  destroy(): Promise<void>
}

/**
 * A fresh, empty database for one test file: a new SQLite file by default, or a new
 * PostgreSQL database when TEST_DATABASE_URL points at a server (as in CI's second pass).
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL
  let config: DatabaseConfig
  let cleanup: () => Promise<void>
  if (adminUrl) {
    const name = `placeready_test_${randomBytes(6).toString('hex')}`
    const admin = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
    await admin.raw(`create database ${name}`)
    await admin.destroy()
    const url = new URL(adminUrl)
    url.pathname = `/${name}`
    config = { client: 'postgres', connectionString: url.toString() }
    cleanup = async () => {
      const dropper = knex({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } })
      await dropper.raw(`drop database if exists ${name} with (force)`)
      await dropper.destroy()
    }
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-test-'))
    config = { client: 'sqlite', filename: path.join(dir, 'test.sqlite') }
    cleanup = async () => {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const db = createDatabase(config)
  if (options.migrate !== false) await migrateToLatest(db)
  const extra: Database[] = []
  return {
    db,
    config,
    reconnect() {
      const another = createDatabase(config)
      extra.push(another)
      return another
    },
    async destroy() {
      for (const other of extra) await other.destroy()
      await db.destroy()
      await cleanup()
    },
  }
}
