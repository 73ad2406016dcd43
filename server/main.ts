import { createApp } from './app'
import { prepareDatabase } from './bootstrap'
import { ConfigError, loadConfig } from './config'
import { createDatabase } from './db/connection'
import { createLogger } from './logger'
import type { Lifecycle } from './routes/health'
import { createServices } from './services'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
  const logger = createLogger(config.logLevel)
  const db = createDatabase(config.database)
  const services = createServices(db, config, logger)
  await prepareDatabase(db, services, config, logger)

  const lifecycle: Lifecycle = { draining: false }
  const app = createApp({ config, db, logger, services, lifecycle })
  const server = app.listen(config.port, () => {
    logger.info(`PlaceReady is listening on http://localhost:${config.port}`)
  })

  const shutdown = (signal: string) => {
    if (lifecycle.draining) return
    lifecycle.draining = true
    logger.info({ signal }, 'Shutting down: finishing requests in flight')
    server.close(() => {
      void db.destroy().then(() => process.exit(0))
    })
    server.closeIdleConnections()
    setTimeout(() => process.exit(1), 10_000).unref()
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  console.error('PlaceReady failed to start:', error)
  process.exit(1)
})
