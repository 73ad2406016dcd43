import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { levelWriters } from '../framework/levels'
import { frameworkSchema } from '../framework/validate'
import { NotFoundError } from '../errors'
import type { FrameworkService } from '../services/frameworkService'

export function frameworkRoutes(frameworks: FrameworkService) {
  const r = guardedRouter()

  r.get('/framework', allow.public, async (_req, res) => {
    const version = await frameworks.defaultVersion()
    if (!version) throw new NotFoundError('No framework has been loaded')
    // The page is the framework's content and nothing else, so its body is rendered once per content.
    res.render('pages/framework', {
      title: version.document.title,
      version,
      framework: version.document,
      ...levelWriters(version.document),
      pageCacheKey: version.contentHash,
    })
  })

  r.get('/schemas/framework.json', allow.public, (_req, res) => {
    res.type('application/schema+json').json(frameworkSchema)
  })

  return r.router
}
