import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { compileTemplate, type Template } from './compile'

export const viewsDirectory = path.resolve(__dirname, '../../views')

type RenderCallback = (error: Error | null, html?: string) => void
type Locals = Record<string, unknown>

/**
 * What the layout (with the header and footer it includes) reads of a page's locals, besides
 * the app's own locals (constant for the app's life) and `body`. The layout around a page depends
 * on these alone, so with `cache` it is rendered once for each set of their values and kept as
 * the text before and after the body. test/unit/viewEngine.test.ts reads the layout's templates
 * and fails if they use any other local.
 */
export const layoutInputs = [
  'title',
  'errorSummary',
  'refreshSeconds',
  'backLink',
  'currentUser',
  'csrfToken',
  'currentPath',
  'currentSection',
  'navigation',
] as const

/** Layouts kept (the text around a body) per process; each signed-in session has its own form token, so its own. */
const keptLayouts = 1000

/**
 * EJS with one layout: the page renders first, then the layout wraps it with `body`.
 * A page opts out with `layout: false` (for example, a fragment for a script).
 *
 * With `cache` (`npm start`, tests, production) every template is read and compiled once per
 * process, and every include name resolved once; without it (`npm run dev`) each render reads
 * and compiles them again, so edits show at the next request.
 *
 * Includes run through our own `include` rather than EJS's, which looks for the file on disk
 * (one or two `existsSync`) and copies every local twice each time an include runs, in every
 * loop of every page. Here an include renders with the includer's own locals object, given what
 * the include passes for as long as it runs (rendering is synchronous), and then put back as it
 * was: what was added is removed, what was shadowed restored (see `withAdded`). The object has
 * no prototype (a copy of what Express hands the engine), so `Object.prototype` never reaches a
 * template, as EJS itself ensures by copying.
 *
 * Not a new object per include whose prototype is the includer's, as this engine once did: an
 * object made a prototype gets a map of its own (V8's hidden class, in the old generation), and
 * each object made on it another, which then keeps the page's locals (and all they reference:
 * the data read, the kept parts) alive until the next full collection. Under load that filled
 * the old generation about twice a second, and every template's reads of its locals missed V8's
 * caches, each map being new.
 */
export function createViewEngine(options: { cache: boolean; directory?: string }) {
  const directory = options.directory ?? viewsDirectory
  const layoutFile = path.join(directory, 'layout.ejs')
  const templates = new Map<string, Template>()
  const includePaths = new Map<string, string>()

  const templateFor = (file: string): Template => {
    let template = options.cache ? templates.get(file) : undefined
    if (!template) {
      // EJS uses the locals given rather than copying them (see above), read once each (compile.ts).
      template = compileTemplate(fs.readFileSync(file, 'utf8'), file, directory).template
      if (options.cache) templates.set(file, template)
    }
    return template
  }

  /** Where `include(name)` in `from` points: as EJS has it, beside the including file first, then in the views directory. */
  const resolveInclude = (from: string, name: string): string => {
    const key = `${from}\0${name}`
    let found = options.cache ? includePaths.get(key) : undefined
    if (found === undefined) {
      const file = path.extname(name) ? name : `${name}.ejs`
      const candidates = name.startsWith('/')
        ? [path.join(directory, file)]
        : [path.resolve(path.dirname(from), file), path.resolve(directory, file)]
      found = candidates.find((candidate) => candidate.startsWith(directory + path.sep) && fs.existsSync(candidate))
      if (!found) throw new Error(`Could not find the include file "${name}" (from ${path.relative(directory, from)})`)
      if (options.cache) includePaths.set(key, found)
    }
    return found
  }

  const render = (file: string, locals: Locals): string => {
    locals.include = (name: string, data?: Locals) => withAdded(locals, data, () => render(resolveInclude(file, name), locals))
    return templateFor(file)(locals)
  }

  /** Page bodies that depend only on a key the route gives (pageCacheKey), by view and key. */
  const bodies = new Map<string, string>()

  /** Stands for the body while the layout is rendered on its own; random, so no page text can match it. */
  const bodyMarker = `<!--layout-body-${randomUUID()}-->`
  const layouts = new Map<string, [before: string, after: string]>()

  /** The layout's text before and after the body, for these locals: kept by the values of layoutInputs. */
  const layoutAround = (locals: Locals): [string, string] => {
    const key = options.cache ? JSON.stringify(layoutInputs.map((name) => locals[name] ?? null)) : undefined
    let around = key === undefined ? undefined : layouts.get(key)
    if (around === undefined) {
      const html = withAdded(locals, { body: bodyMarker }, () => render(layoutFile, locals))
      const at = html.indexOf(bodyMarker)
      if (at < 0) throw new Error('The layout must output its body once, unescaped (<%- body %>)')
      around = [html.slice(0, at), html.slice(at + bodyMarker.length)]
      if (key !== undefined) {
        if (layouts.size >= keptLayouts) layouts.clear()
        layouts.set(key, around)
      }
    }
    return around
  }

  return function renderWithLayout(filePath: string, renderOptions: object, callback: RenderCallback): void {
    const locals = Object.assign(Object.create(null) as Locals, renderOptions)
    let html: string
    try {
      // A page whose body depends only on its key (say, a framework's content hash) and on
      // nothing of the request (no user or CSRF token: those are in the layout) passes
      // `pageCacheKey`, and its body is rendered once per key; the layout is kept by its own inputs.
      const key = options.cache && typeof locals.pageCacheKey === 'string' ? `${filePath}\0${locals.pageCacheKey}` : undefined
      let body = key === undefined ? undefined : bodies.get(key)
      if (body === undefined) {
        body = render(filePath, locals)
        if (key !== undefined) {
          if (bodies.size >= 200) bodies.clear()
          bodies.set(key, body)
        }
      }
      if (locals.layout === false) html = body
      else {
        const [before, after] = layoutAround(locals)
        html = before + body + after
      }
    } catch (error) {
      return callback(error as Error)
    }
    callback(null, html)
  }
}

/**
 * Runs `render` with `data`'s entries set on `locals` (and `include`, which each template
 * rendered sets to its own), then puts `locals` back as they were, even if rendering fails:
 * an entry that was not there is removed again, one that was shadowed gets its value back.
 */
function withAdded(locals: Locals, data: Locals | undefined, render: () => string): string {
  const saved: Array<{ key: string; had: boolean; value: unknown }> = [{ key: 'include', had: 'include' in locals, value: locals.include }]
  if (data)
    for (const key of Object.keys(data)) {
      saved.push({ key, had: key in locals, value: locals[key] })
      locals[key] = data[key]
    }
  try {
    return render()
  } finally {
    // Last first, so that a key saved twice ends with the value it had at the start.
    for (let i = saved.length - 1; i >= 0; i--) {
      const { key, had, value } = saved[i]!
      if (had) locals[key] = value
      else delete locals[key]
    }
  }
}
