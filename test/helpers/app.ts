import type { Express } from 'express'
import { createApp } from '../../server/app'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig, type AppConfig } from '../../server/config'
import type { Database } from '../../server/db/connection'
import { createLogger } from '../../server/logger'
import type { Lifecycle } from '../../server/routes/health'
import { createServices, type Services } from '../../server/services'
import { createTestDatabase, type TestDatabase } from './database'

export const testDemoPassword = 'test-demo-password-42'

/** A clock the test moves by hand, so timeouts and deadlines are tested without waiting. */
export class TestClock {
  constructor(private current: Date = new Date('2026-11-22T10:00:00Z')) {}
  now = (): Date => new Date(this.current)
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms)
  }
  set(date: Date): void {
    this.current = new Date(date)
  }
}

export interface TestContext {
  app: Express
  db: Database
  config: AppConfig
  services: Services
  clock: TestClock
  lifecycle: Lifecycle
  database: TestDatabase
  /** A second app instance on the same database, as after a restart or behind a load balancer. */
  anotherInstance(): Express
  /** The same, with its own connection pool and services (the same clock) to drive directly. */
  anotherInstanceWithServices(): { app: Express; db: Database; services: Services }
  close(): Promise<void>
}

/**
 * The real app on a fresh, migrated database. `demo` seeds the demo ICS (its users'
 * password is testDemoPassword); `env` overrides configuration as an operator would.
 */
export async function createTestContext(options: { demo?: boolean; env?: Record<string, string>; now?: Date } = {}): Promise<TestContext> {
  const database = await createTestDatabase()
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: 'test', DEMO: options.demo ? 'on' : 'off', DEMO_PASSWORD: testDemoPassword, ...options.env }),
    database: database.config,
  }
  const clock = new TestClock(options.now)
  const logger = createLogger('silent')
  const build = (db: Database) => {
    const services = createServices(db, config, logger, clock.now)
    return { services, app: createApp({ config, db, logger, services, lifecycle }) }
  }
  const lifecycle: Lifecycle = { draining: false }
  const { services, app } = build(database.db)
  await prepareDatabase(database.db, services, config, logger, { now: clock.now() })
  return {
    app,
    db: database.db,
    config,
    services,
    clock,
    lifecycle,
    database,
    anotherInstance: () => build(database.reconnect()).app,
    anotherInstanceWithServices: () => {
      const db = database.reconnect()
      return { db, ...build(db) }
    },
    close: async () => {
      services.mailer.close()
      await database.destroy()
    },
  }
}
