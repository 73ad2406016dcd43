import cluster from 'node:cluster'
import { createApp } from './app'
import { prepareDatabase } from './bootstrap'
import { runClusterPrimary } from './cluster'
import { ConfigError, loadConfig, type AppConfig } from './config'
import { createDatabase, type Database } from './db/connection'
import { demoIcs, demoUsers } from './demo/demoData'
import { startBackgroundJobs } from './jobs/scheduler'
import { defaultShutdownTimeoutMs, installGracefulShutdown } from './lifecycle'
import { createHttpServer } from './httpServer'
import { createLogger, type Logger } from './logger'
import type { Lifecycle } from './routes/health'
import { createServices } from './services'

const roleLabels = { ics_lead: 'ICS lead', place_lead: 'Wirral place lead', partner: 'Wirral Council partner', viewer: 'Board viewer' }

async function main(): Promise<void> {
  let config: AppConfig
  try {
    // `npm run dev` passes --reload-views: views are read and compiled at each render, so edits show at once.
    config = loadConfig(process.argv.includes('--reload-views') ? { VIEW_CACHE: 'off', ...process.env } : process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
  const logger = createLogger(config.logLevel)

  // A cluster worker only serves: the primary has already prepared the database.
  if (cluster.isWorker) {
    serve(config, logger, createDatabase(config.database))
    return
  }

  const db = createDatabase(config.database)
  const prepared = await prepareDatabase(db, createServices(db, config, logger), config, logger)
  if (config.demo) printDemoLogins(config.port, prepared.generatedDemoPassword)

  if (config.webConcurrency > 1) {
    // The primary serves nothing, so it keeps no connections open; each worker has its own pool.
    await db.destroy()
    runClusterPrimary({ workers: config.webConcurrency, logger, stopTimeoutMs: defaultShutdownTimeoutMs + 5_000 })
    return
  }
  serve(config, logger, db)
}

function serve(config: AppConfig, logger: Logger, db: Database): void {
  const lifecycle: Lifecycle = { draining: false }
  const services = createServices(db, config, logger)
  const app = createApp({ config, db, logger, services, lifecycle })
  const server = createHttpServer(app)
  // An idle keep-alive connection is closed after 65 s, not Node's 5: a client (or a load
  // balancer, whose idle timeout is commonly 60 s) that sends a request on a connection just as the
  // server closes it gets a reset instead of an answer. The header timeout must be the longer.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  // Every serving process runs the scheduler; a lease in the database lets one at a time run each job.
  const scheduler = startBackgroundJobs(config, db, services, logger)
  installGracefulShutdown(server, db, lifecycle, logger, { stopBackgroundWork: async () => scheduler?.stop() })
  server.on('error', (error) => {
    logger.fatal({ err: error }, `Cannot listen on port ${config.port}`)
    process.exit(1)
  })
  server.listen(config.port, () => {
    if (cluster.isWorker) logger.debug({ pid: process.pid }, 'Worker listening')
    else logger.info(`PlaceReady is listening on http://localhost:${config.port}`)
  })
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
