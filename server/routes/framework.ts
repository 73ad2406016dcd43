import type { Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { levelWriters } from '../framework/levels'
import { frameworkSchema } from '../framework/validate'
import { NotFoundError } from '../errors'
import type { FrameworkService } from '../services/frameworkService'
import { BoundedCache } from '../boundedCache'
import { renderView } from '../views/render'

export function frameworkRoutes(frameworks: FrameworkService) {
  const r = guardedRouter()

  const pageOf = async (res: Response) => {
    const version = await frameworks.defaultVersion()
    if (!version) throw new NotFoundError('No framework has been loaded')
    // The page is the framework's content and nothing else, so its body is rendered once per content.
    const locals = {
      title: version.document.title,
      version,
      framework: version.document,
      ...levelWriters(version.document),
      pageCacheKey: version.contentHash,
    }
    return { contentHash: version.contentHash, html: await renderView(res, 'pages/framework', locals) }
  }

  // Everyone who is not signed in sees the same page, layout and all (no name, no form token), so
  // it is kept whole, as bytes, for the framework's content: a view costs one read of which
  // content is the default, and writing the bytes.
  const publicPages = new BoundedCache<string, Buffer>(4)

  r.get('/framework', allow.public, async (req, res) => {
    if (req.user) return res.type('html').send((await pageOf(res)).html)
    const kept = publicPages.get((await frameworks.defaultContentHash()) ?? '')
    if (kept) return res.type('html').send(kept)
    const { contentHash, html } = await pageOf(res)
    const bytes = Buffer.from(html)
    publicPages.set(contentHash, bytes)
    res.type('html').send(bytes)
  })

  r.get('/schemas/framework.json', allow.public, (_req, res) => {
    res.type('application/schema+json').json(frameworkSchema)
  })

  return r.router
}
