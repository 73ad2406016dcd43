import type { Express } from 'express'
import { createApp } from '../../server/app'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig, type AppConfig } from '../../server/config'
import type { Database } from '../../server/db/connection'
import { createLogger } from '../../server/logger'
import type { Lifecycle } from '../../server/routes/health'
import { createServices, type Services } from '../../server/services'
import { createTestDatabase, type TestDatabase } from './database'

export interface TestContext {
  app: Express
  db: Database
  config: AppConfig
  services: Services
  lifecycle: Lifecycle
  database: TestDatabase
  close(): Promise<void>
}

/**
 * The real app on a fresh, migrated database. `demo` seeds the demo ICS; `env` overrides
 * configuration as an operator would with environment variables.
 */
export async function createTestContext(options: { demo?: boolean; env?: Record<string, string>; now?: Date } = {}): Promise<TestContext> {
  const database = await createTestDatabase()
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: 'test', DEMO: options.demo ? 'on' : 'off', ...options.env }),
    database: database.config,
  }
  const logger = createLogger('silent')
  const services = createServices(database.db, config, logger)
  await prepareDatabase(database.db, services, config, logger, options.now ? { now: options.now } : {})
  const lifecycle: Lifecycle = { draining: false }
  const app = createApp({ config, db: database.db, logger, services, lifecycle })
  return {
    app,
    db: database.db,
    config,
    services,
    lifecycle,
    database,
    close: () => database.destroy(),
  }
}
