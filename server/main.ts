import { createApp } from './app'
import { prepareDatabase } from './bootstrap'
import { ConfigError, loadConfig } from './config'
import { createDatabase } from './db/connection'
import { demoIcs, demoUsers } from './demo/demoData'
import { createLogger } from './logger'
import type { Lifecycle } from './routes/health'
import { createServices } from './services'

const roleLabels = { ics_lead: 'ICS lead', place_lead: 'Wirral place lead', partner: 'Wirral Council partner', viewer: 'Board viewer' }

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
  const prepared = await prepareDatabase(db, services, config, logger)
  if (config.demo) printDemoLogins(config.port, prepared.generatedDemoPassword)

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

function printDemoLogins(port: number, generatedPassword: string | undefined): void {
  const password = generatedPassword ?? '(the value of DEMO_PASSWORD)'
  console.log(
    [
      '',
      `  PlaceReady demo – http://localhost:${port}`,
      `  Demo ICS: ${demoIcs.name}`,
      ...demoUsers.map((u) => `    ${u.email.padEnd(38)} ${roleLabels[u.role]}`),
      `  Password for all demo users: ${password}`,
      '',
    ].join('\n'),
  )
}

main().catch((error: unknown) => {
  console.error('PlaceReady failed to start:', error)
  process.exit(1)
})
