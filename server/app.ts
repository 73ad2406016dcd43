import express, { type Express, type RequestHandler } from 'express'
import helmet from 'helmet'
import { apiRouter } from './api/router'
import { apiReports } from './api/reports'
import { AssetCatalogue, assetsRouter } from './assets'
import { resolveSessionSecret } from './bootstrap'
import type { AppConfig } from './config'
import type { Database } from './db/connection'
import type { Logger } from './logger'
import { loadCurrentUser, needsNoSession, sessionMiddleware } from './auth/session'
import { csrfToken, provideCsrfTokenWhenSignedIn } from './middleware/csrf'
import { errorHandler, notFoundHandler } from './middleware/errors'
import { onlyForOwnPaths } from './middleware/ownPaths'
import { databaseRateLimit } from './middleware/rateLimits'
import { requestLog } from './middleware/requestLog'
import { adminRoutes } from './routes/admin/index'
import { apiDocsRoutes } from './routes/apiDocs'
import { assessmentRoutes } from './routes/assessment'
import { authRoutes } from './routes/auth'
import { exportRoutes } from './routes/exports'
import { frameworkRoutes } from './routes/framework'
import { healthRoutes, type Lifecycle } from './routes/health'
import { homeRoutes, navigationFor } from './routes/home'
import { dashboardRoutes } from './routes/dashboard'
import { placeRoutes } from './routes/places'
import { roundRoutes } from './routes/rounds'
import { reportRoutes } from './routes/reports'
import type { Services } from './services'
import { bootScript, bootScriptSource } from './views/bootScript'
import { createViewEngine, viewsDirectory } from './views/engine'
import { viewHelpers } from './views/helpers'

export interface AppDeps {
  config: AppConfig
  db: Database
  logger: Logger
  services: Services
  lifecycle?: Lifecycle
}

export function createApp(deps: AppDeps): Express {
  const { config, db, logger, services } = deps
  const clock = services.clock
  const lifecycle = deps.lifecycle ?? { draining: false }
  const app = express()

  app.disable('x-powered-by')
  // No ETag on rendered pages: a signed-in page carries its session's CSRF token and may not be
  // kept (no-store), so a tag would hardly ever match and hashing every page only costs time.
  // Static files keep theirs.
  app.disable('etag')
  // Behind a load balancer, trust the one hop it adds: req.ip is the address it saw, not the
  // left-most X-Forwarded-For entry, which any client can write (and so dodge rate limits).
  app.set('trust proxy', config.trustProxy ? 1 : false)
  app.engine('ejs', createViewEngine({ cache: config.viewCache }))
  app.set('view engine', 'ejs')
  app.set('views', viewsDirectory)
  // Views are found and compiled once per process, except under `npm run dev`.
  if (config.viewCache) app.enable('view cache')
  app.locals.serviceName = 'PlaceReady'
  app.locals.bootScript = bootScript
  Object.assign(app.locals, viewHelpers)
  // Scripts, stylesheets and icons under names that change with their content, cached for a year.
  const assets = new AssetCatalogue(config.viewCache)
  app.locals.assetUrl = (assetPath: string) => assets.url(assetPath)

  app.use(requestLog(logger))

  // Health checks first: cheap, and never behind sessions or CSRF.
  app.use(onlyForOwnPaths(healthRoutes(db, lifecycle)))

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          defaultSrc: ["'self'"],
          // The layout's one inline script, by its hash (views/bootScript.ts).
          scriptSrc: ["'self'", bootScriptSource],
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

  // The JSON API: bearer tokens, no sessions, no CSRF, no body parsing (it only reads).
  app.use(
    onlyForOwnPaths(
      apiRouter(
        db,
        {
          services,
          limits: { requestsPerMinute: config.apiRateLimit, failuresPerAddress: config.rateLimits.tokens },
          reports: apiReports(services.reports),
        },
        logger,
      ),
    ),
  )

  app.use(onlyForOwnPaths(assetsRouter(config.production, assets)))
  // Request bodies are read by each route's own rule (middleware/body.ts, through the guarded router).

  // The signing secret may live in the database (shared by every instance), so the session
  // middleware is built on the first request that needs it.
  let sessions: Promise<RequestHandler> | undefined
  app.use((req, res, next) => {
    if (needsNoSession(req)) return next()
    sessions ??= resolveSessionSecret(db, config).then((secret) => sessionMiddleware(config, services.sessions, secret))
    sessions.then((handler) => handler(req, res, next), next)
  })
  app.use(loadCurrentUser(services.accounts, clock, services.sessions))
  app.use(provideCsrfTokenWhenSignedIn)
  app.use((req, res, next) => {
    res.locals.navigation = navigationFor(req.user)
    next()
  })

  const limits = {
    signIn: databaseRateLimit(db, 'sign-in', { limit: config.rateLimits.signIn, windowMinutes: 15 }, clock, (req, res) => {
      const body = req.body as Record<string, unknown>
      res.render('pages/sign-in', {
        title: 'Sign in',
        csrfToken: csrfToken(req),
        values: { email: typeof body.email === 'string' ? body.email.slice(0, 320) : '' },
        errorSummary: [{ text: 'Too many sign-in attempts from your network – wait 15 minutes, then try again', href: '#email' }],
        fieldErrors: {},
      })
    }),
    tokens: databaseRateLimit(db, 'tokens', { limit: config.rateLimits.tokens, windowMinutes: 15 }, clock, (_req, res) => {
      res.render('errors/problem', {
        title: 'Too many attempts',
        message: 'There have been too many attempts from your network. Wait 15 minutes, then try again.',
      })
    }),
  }

  app.use(onlyForOwnPaths(homeRoutes(services.dashboards, services.assessments)))
  app.use(onlyForOwnPaths(frameworkRoutes(services.frameworks)))
  app.use(onlyForOwnPaths(authRoutes({ accounts: services.accounts, invitations: services.invitations, clock, limits })))
  app.use(onlyForOwnPaths(roundRoutes(services.rounds)))
  app.use(onlyForOwnPaths(assessmentRoutes(services.assessments)))
  app.use(onlyForOwnPaths(placeRoutes(services.placeReturns, services.dashboards, services.reports)))
  app.use(onlyForOwnPaths(dashboardRoutes(services.dashboards)))
  app.use(onlyForOwnPaths(reportRoutes(services.reports)))
  app.use(
    onlyForOwnPaths(
      adminRoutes({
        invitations: services.invitations,
        userAdmin: services.userAdmin,
        audit: services.audit,
        mailer: services.mailer,
        placeAdmin: services.placeAdmin,
        imports: services.imports,
        frameworks: services.frameworks,
        apiTokens: services.apiTokens,
      }),
    ),
  )

  app.use(onlyForOwnPaths(exportRoutes(services.exports, clock)))
  app.use(onlyForOwnPaths(apiDocsRoutes()))

  app.use(notFoundHandler)
  app.use(errorHandler(logger, config.production))
  return app
}
