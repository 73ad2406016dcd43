import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import type { Database } from '../db/connection'
import { pendingMigrations } from '../db/migrate'

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
    try {
      await db.raw('select 1')
      const pending = await pendingMigrations(db)
      if (pending.length > 0) {
        res.status(503).json({ status: 'migrations pending', pending })
        return
      }
      res.json({ status: 'ready' })
    } catch {
      res.status(503).json({ status: 'database unavailable' })
    }
  })
  return r.router
}
