import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import express, { type Request, type Response, type Router } from 'express'
import { allow } from './auth/access'
import { guardedRouter } from './auth/guardedRouter'

const nhsukDist = path.dirname(require.resolve('nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css'))
const staticDirectory = path.resolve(__dirname, '../static')
/** chart.js 4's browser build (its package exports only the module entry points, so find dist/ from one of them). */
const chartJsFile = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')

/**
 * The NHS.UK frontend stylesheet without its @font-face rules: the Frutiger font is licensed
 * to NHS organisations only and is served from an external origin our CSP does not allow,
 * so text falls back to Arial, as the NHS.UK font stack intends.
 */
export function stylesheetWithoutWebFonts(css: string): string {
  return css.replace(/@font-face\{[^}]*\}/g, '').replace(/"?Frutiger W01"?,\s*/g, '')
}

const contentTypes: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
}

/** Where fingerprinted assets live: `/assets/v/<fingerprint>/static/js/app.js`. */
const fingerprintedPrefix = '/assets/v/'

/** A year: the longest a cache is asked to keep anything. */
const immutableCacheControl = 'public, max-age=31536000, immutable'

interface Asset {
  body: Buffer
  type: string
  fingerprint: string
}

/** Every asset a page links to, by the path it has without a fingerprint: where its content comes from. */
function assetSources(): Map<string, () => Buffer> {
  const sources = new Map<string, () => Buffer>([
    [
      '/assets/nhsuk-frontend.css',
      () => Buffer.from(stylesheetWithoutWebFonts(fs.readFileSync(path.join(nhsukDist, 'nhsuk-frontend.min.css'), 'utf8'))),
    ],
    ['/assets/nhsuk-frontend.js', () => fs.readFileSync(path.join(nhsukDist, 'nhsuk-frontend.min.js'))],
    ['/assets/chart.umd.js', () => fs.readFileSync(chartJsFile)],
    ['/assets/images/favicon.ico', () => fs.readFileSync(path.join(nhsukDist, 'assets/images/favicon.ico'))],
    ['/assets/images/favicon.svg', () => fs.readFileSync(path.join(nhsukDist, 'assets/images/favicon.svg'))],
  ])
  for (const file of fs.readdirSync(staticDirectory, { recursive: true, encoding: 'utf8' })) {
    const full = path.join(staticDirectory, file)
    if (fs.statSync(full).isFile() && contentTypes[path.extname(file)]) {
      sources.set(`/static/${file.split(path.sep).join('/')}`, () => fs.readFileSync(full))
    }
  }
  return sources
}

/**
 * The assets pages link to, each under a name that carries a fingerprint of its content
 * (`assetUrl('/static/js/app.js')` is `/assets/v/3fa2c1b4d5e6/static/js/app.js`), so browsers
 * and proxies may keep it for a year: new content is a new name. Scripts and stylesheets that
 * name other assets (app.js imports autosave.js) name their fingerprinted addresses, so a
 * change anywhere changes the names of everything that leads to it.
 *
 * Built once when the app starts. Without fingerprints (`npm run dev`, VIEW_CACHE=off) pages
 * link to the plain addresses, served from disk as they are now.
 */
export class AssetCatalogue {
  private readonly assets = new Map<string, Asset>()

  constructor(readonly fingerprinted: boolean) {
    if (!fingerprinted) return
    const sources = assetSources()
    const resolving = new Set<string>()
    const resolve = (assetPath: string): Asset => {
      const known = this.assets.get(assetPath)
      if (known) return known
      if (resolving.has(assetPath)) throw new Error(`Assets name each other in a circle: ${[...resolving, assetPath].join(' -> ')}`)
      resolving.add(assetPath)
      let body = sources.get(assetPath)!()
      const extension = path.extname(assetPath)
      if (extension === '.js' || extension === '.css') {
        const text = body
          .toString('utf8')
          .replace(/(['"(])(\/(?:assets|static)\/[^'"()\s]+)(['")])/g, (whole, open: string, named: string, close: string) =>
            sources.has(named) && named !== assetPath ? `${open}${this.urlOf(resolve(named), named)}${close}` : whole,
          )
        body = Buffer.from(text)
      }
      const asset = { body, type: contentTypes[extension] ?? 'application/octet-stream', fingerprint: fingerprintOf(body) }
      this.assets.set(assetPath, asset)
      resolving.delete(assetPath)
      return asset
    }
    for (const assetPath of sources.keys()) resolve(assetPath)
  }

  private urlOf(asset: Asset, assetPath: string): string {
    return `${fingerprintedPrefix}${asset.fingerprint}${assetPath}`
  }

  /** The address to link to for an asset: fingerprinted when there are fingerprints and it is one. */
  url(assetPath: string): string {
    const asset = this.assets.get(assetPath)
    return asset ? this.urlOf(asset, assetPath) : assetPath
  }

  get(assetPath: string): Asset | undefined {
    return this.assets.get(assetPath)
  }
}

function fingerprintOf(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 12)
}

/** Sends an asset with its fingerprint as ETag, or 304 when the browser already has it. */
function sendAsset(req: Request, res: Response, asset: Asset, cacheControl: string): void {
  res.set({ 'Content-Type': asset.type, 'Cache-Control': cacheControl, ETag: `"${asset.fingerprint}"` })
  if (req.fresh) {
    res.status(304).end()
    return
  }
  res.send(asset.body)
}

export function assetsRouter(production: boolean, catalogue: AssetCatalogue): Router {
  const { router, get } = guardedRouter()
  const maxAge = production ? '7d' : 0

  // Fingerprinted: kept for a year. A fingerprint that is not the current one (a page from
  // before a release) still gets today's content, but only to use once.
  get(`${fingerprintedPrefix}:fingerprint/*asset`, allow.public, (req, res, next) => {
    const assetPath = `/${(req.params.asset as unknown as string[]).join('/')}`
    const asset = catalogue.get(assetPath)
    if (!asset) return next()
    sendAsset(req, res, asset, asset.fingerprint === req.params.fingerprint ? immutableCacheControl : 'no-cache')
  })

  // The plain addresses, as before: what pages link to under `npm run dev`, and old links.
  const plainCss = catalogue.get('/assets/nhsuk-frontend.css') ?? {
    body: Buffer.from(stylesheetWithoutWebFonts(fs.readFileSync(path.join(nhsukDist, 'nhsuk-frontend.min.css'), 'utf8'))),
    type: contentTypes['.css']!,
    fingerprint: '',
  }
  if (!plainCss.fingerprint) plainCss.fingerprint = fingerprintOf(plainCss.body)
  get('/assets/nhsuk-frontend.css', allow.public, (req, res) => {
    sendAsset(req, res, plainCss, production ? 'public, max-age=604800' : 'no-cache')
  })
  get('/assets/nhsuk-frontend.js', allow.public, (_req, res) => {
    res.type('text/javascript').sendFile(path.join(nhsukDist, 'nhsuk-frontend.min.js'), { maxAge })
  })
  // chart.js from our own origin, so the dashboard's charts need no third-party script source in the CSP.
  get('/assets/chart.umd.js', allow.public, (_req, res) => {
    res.type('text/javascript').sendFile(chartJsFile, { maxAge })
  })
  router.use('/assets', express.static(path.join(nhsukDist, 'assets'), { maxAge, fallthrough: true, index: false }))
  router.use('/static', express.static(staticDirectory, { maxAge, index: false }))
  return router
}
