import path from 'node:path'
import ejs from 'ejs'

export const viewsDirectory = path.resolve(__dirname, '../../views')
const layoutFile = path.join(viewsDirectory, 'layout.ejs')

type RenderCallback = (error: Error | null, html?: string) => void

/**
 * EJS with one layout: the page renders first, then the layout wraps it with `body`.
 * A page opts out with `layout: false` (for example, a fragment for a script).
 */
export function renderWithLayout(filePath: string, options: object, callback: RenderCallback): void {
  const locals = options as Record<string, unknown>
  const ejsOptions = { cache: Boolean(locals.cache), views: [viewsDirectory] }
  ejs.renderFile(filePath, locals, ejsOptions, (error, body) => {
    if (error) return callback(error)
    if (locals.layout === false) return callback(null, body)
    ejs.renderFile(layoutFile, { ...locals, body }, ejsOptions, (layoutError, html) => {
      if (layoutError) return callback(layoutError)
      callback(null, html)
    })
  })
}
