import express, { Router, type Express } from 'express'
import request from 'supertest'
import { onlyForOwnPaths } from '../../server/middleware/ownPaths'

/** How many requests a router was entered for. */
function counted(router: Router): { router: Router; entered: () => number } {
  let entered = 0
  const inside = router as unknown as { handle(...args: unknown[]): void }
  const handle = inside.handle.bind(router)
  inside.handle = (...args) => {
    entered++
    handle(...args)
  }
  return { router, entered: () => entered }
}

function appWith(router: Router, filtered: boolean): Express {
  const app = express()
  app.use(filtered ? onlyForOwnPaths(router) : router)
  app.use((req, res) => res.status(404).send(`not found: ${req.path}`))
  return app
}

function pageRouter(): Router {
  const router = Router()
  router.get('/', (_req, res) => res.send('home'))
  router.get('/rounds/:roundId/places/:placeId', (req, res) => res.send(`place ${req.params.roundId}/${req.params.placeId}`))
  router.post('/rounds/:roundId/dashboard.csv', (req, res) => res.send(`csv ${req.params.roundId}`))
  router.get('/assets/v/:fingerprint/*asset', (req, res) => res.send(`asset ${String(req.params.asset)}`))
  router.use('/static', (req, res) => res.send(`static ${req.path}`))
  const nested = Router()
  nested.get('/admin/audit', (_req, res) => res.send('audit'))
  router.use(nested)
  return router
}

const paths = [
  '/',
  '/rounds/3/places/9',
  '/ROUNDS/3/Places/9/',
  '/rounds/3/places/9/criteria',
  '/rounds/3/places',
  '/rounds/%20x/places/caf%C3%A9',
  '/rounds/3/dashboard.csv',
  '/rounds/3/dashboardxcsv',
  '/assets/v/abc/css/app.css',
  '/assets/v/abc',
  '/static/js/app.js',
  '/static',
  '/staticky',
  '/admin/audit',
  '/admin/audit/',
  '/admin/auditx',
  '/nope',
  '/rounds/3/places/9?x=1',
]

describe('onlyForOwnPaths: a router passed over in one step when none of its routes can match', () => {
  it('answers every path exactly as the router alone does, for GET, HEAD and POST', async () => {
    for (const method of ['get', 'head', 'post'] as const) {
      for (const path of paths) {
        const plain = await request(appWith(pageRouter(), false))[method](path)
        const filtered = await request(appWith(pageRouter(), true))[method](path)
        expect({ path, method, status: filtered.status, text: filtered.text }).toEqual({
          path,
          method,
          status: plain.status,
          text: plain.text,
        })
      }
    }
  })

  it('enters the router only for its own paths', async () => {
    const { router, entered } = counted(pageRouter())
    const app = appWith(router, true)
    for (const path of ['/nope', '/rounds/3/places', '/admin/auditx', '/staticky', '/assets/v/abc']) await request(app).get(path)
    expect(entered()).toBe(0)
    for (const path of ['/', '/rounds/3/places/9', '/STATIC/x', '/admin/audit/']) await request(app).get(path)
    expect(entered()).toBe(4)
  })

  it('always enters a router with middleware for every path, or a path syntax it does not read', async () => {
    const everyPath = Router()
    everyPath.use((_req, res, next) => {
      res.set('x-seen', 'yes')
      next()
    })
    everyPath.get('/only', (_req, res) => res.send('only'))
    expect((await request(appWith(everyPath, true)).get('/elsewhere')).headers['x-seen']).toBe('yes')

    const optional = Router()
    optional.get('/files{/:name}', (req, res) => res.send(`file ${String(req.params.name)}`))
    const { router, entered } = counted(optional)
    const app = appWith(router, true)
    expect((await request(app).get('/files/a')).text).toBe('file a')
    await request(app).get('/other')
    expect(entered()).toBe(2)
  })
})
