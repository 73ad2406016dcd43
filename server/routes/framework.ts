import { Router } from 'express'
import { frameworkSchema } from '../framework/validate'
import type { FrameworkService } from '../services/frameworkService'
import { NotFoundError } from '../middleware/errors'

export function frameworkRoutes(frameworks: FrameworkService): Router {
  const router = Router()

  router.get('/framework', async (_req, res) => {
    const version = await frameworks.defaultVersion()
    if (!version) throw new NotFoundError('No framework has been loaded')
    res.render('pages/framework', { title: version.document.title, version, framework: version.document })
  })

  router.get('/schemas/framework.json', (_req, res) => {
    res.type('application/schema+json').json(frameworkSchema)
  })

  return router
}
