import type { NextFunction, Request, Response, Router } from 'express'

/** What a router layer looks like from outside (router 2.x: express 5's router). */
interface LayerShape {
  route?: { path: string | string[] }
  /** A `use` layer mounted at '/', so it sees every path. */
  slash: boolean
  /** A `use` layer's mount path(s). */
  rawPath?: string | string[]
  handle: { stack?: LayerShape[] }
}

/** Express's router as it is at run time: a function that hands each request to its `handle`. */
type RouterInside = { stack: LayerShape[]; handle(req: Request, res: Response, next: NextFunction): void }

/** One route path (express 5 syntax) as a regular expression's source; undefined for syntax not handled here. */
function patternOf(path: string, wholePath: boolean): string | undefined {
  if (/[{}\\"()?+!]/.test(path)) return undefined
  let source = ''
  let last = 0
  for (const token of path.matchAll(/:([A-Za-z_$][\w$]*)|\*([A-Za-z_$][\w$]*)/g)) {
    source += escapeRegExp(path.slice(last, token.index)) + (token[1] === undefined ? '.+' : '[^/]+')
    last = token.index + token[0].length
  }
  source += escapeRegExp(path.slice(last))
  // As the router matches by default: any case, an optional trailing slash; a mount path also
  // matches whatever lies below it.
  return wholePath ? `${source}/?$` : `${source}/?(?=/|$)`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** Every path the router answers, as patterns; undefined if it has middleware for every path (it must always be entered). */
function patternsOf(stack: LayerShape[]): string[] | undefined {
  const patterns: string[] = []
  for (const layer of stack) {
    const paths = layer.route ? layer.route.path : layer.slash ? undefined : layer.rawPath
    if (paths === undefined) {
      // Mounted at '/': a router of routes is looked into; any other middleware sees every request.
      const nested = layer.handle.stack && patternsOf(layer.handle.stack)
      if (!nested) return undefined
      patterns.push(...nested)
      continue
    }
    for (const path of Array.isArray(paths) ? paths : [paths]) {
      const pattern = patternOf(path, layer.route !== undefined)
      if (pattern === undefined) return undefined
      patterns.push(pattern)
    }
  }
  return patterns
}

/**
 * Express tries every route of every router in turn until one matches its path: a page whose
 * routes come late, or a page not found, walked through some 150 routes, which cost more than
 * many pages' own work. This puts one test of the request's path against all of a router's
 * paths in front of it, so a router with no route for the path is passed in one step. The test
 * is as broad as the router's own matching (any method, any case, an optional trailing slash),
 * and a router holding middleware for every path, or a path syntax not handled here, is always
 * entered, as before.
 */
export function onlyForOwnPaths(router: Router): Router {
  const inside = router as unknown as RouterInside
  const patterns = patternsOf(inside.stack)
  if (!patterns) return router
  const ownPath = patterns.length === 0 ? /$^/ : new RegExp(`^(?:${patterns.join('|')})`, 'i')
  // The router itself is kept (its routes and their access rules are read by the tests), with
  // the test put in front of its own handling of a request.
  const handle = inside.handle.bind(router)
  inside.handle = (req, res, next) => (ownPath.test(req.path) ? handle(req, res, next) : next())
  return router
}
