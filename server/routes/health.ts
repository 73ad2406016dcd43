import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import type { Database } from '../db/connection'
import { databaseReadiness } from '../db/readiness'

export interface Lifecycle {
  /** True once shutdown has begun: the instance should be taken out of the load balancer. */
  draining: boolean
}

export function healthRoutes(db: Database, lifecycle: Lifecycle) {
  const r = guardedRouter()
  r.get('/healthz', allow.public, (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' })
  })
  r.get('/readyz', allow.public, async (_req, res) => {
    res.set('Cache-Control', 'no-store')
    if (lifecycle.draining) {
      res.status(503).json({ status: 'draining' })
      return
    }
    const readiness = await databaseReadiness(db)
    res.status(readiness.status === 'ready' ? 200 : 503).json(readiness)
  })
  return r.router
}
