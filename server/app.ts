import { randomBytes } from 'node:crypto'
import express, { type Express } from 'express'
import helmet from 'helmet'
import { pinoHttp } from 'pino-http'
import { assetsRouter } from './assets'
import type { AppConfig } from './config'
import type { Database } from './db/connection'
import type { Logger } from './logger'
import { errorHandler, notFoundHandler } from './middleware/errors'
import { frameworkRoutes } from './routes/framework'
import { healthRoutes, type Lifecycle } from './routes/health'
import { homeRoutes } from './routes/home'
import type { Services } from './services'
import { renderWithLayout, viewsDirectory } from './views/engine'

export interface AppDeps {
  config: AppConfig
  db: Database
  logger: Logger
  services: Services
  lifecycle?: Lifecycle
}

export function createApp(deps: AppDeps): Express {
  const { config, db, logger, services } = deps
  const lifecycle = deps.lifecycle ?? { draining: false }
  const app = express()

  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy)
  app.engine('ejs', renderWithLayout)
  app.set('view engine', 'ejs')
  app.set('views', viewsDirectory)
  if (config.production) app.enable('view cache')
  app.locals.serviceName = 'PlaceReady'

  app.use(
    pinoHttp({
      logger,
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  )

  // Health checks first: cheap, and never behind sessions or CSRF.
  app.use(healthRoutes(db, lifecycle))

  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64')
    next()
  })
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as express.Response).locals.cspNonce as string}'`],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          upgradeInsecureRequests: config.production ? [] : null,
        },
      },
      strictTransportSecurity: config.production,
      referrerPolicy: { policy: 'same-origin' },
    }),
  )
  app.use((req, res, next) => {
    res.locals.currentPath = req.path
    next()
  })

  app.use(assetsRouter(config.production))
  app.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 500 }))
  app.use(express.json({ limit: '1mb' }))

  app.use(homeRoutes())
  app.use(frameworkRoutes(services.frameworks))

  app.use(notFoundHandler)
  app.use(errorHandler(logger, config.production))
  return app
}
