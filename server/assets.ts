import fs from 'node:fs'
import path from 'node:path'
import express, { type Router } from 'express'
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

export function assetsRouter(production: boolean): Router {
  const { router, get } = guardedRouter()
  const maxAge = production ? '7d' : 0
  const css = stylesheetWithoutWebFonts(fs.readFileSync(path.join(nhsukDist, 'nhsuk-frontend.min.css'), 'utf8'))
  get('/assets/nhsuk-frontend.css', allow.public, (_req, res) => {
    res
      .type('text/css')
      .set('Cache-Control', production ? 'public, max-age=604800' : 'no-cache')
      .send(css)
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
