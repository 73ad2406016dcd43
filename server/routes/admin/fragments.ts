import type { Request } from 'express'
import { renderView } from '../../views/render'

/**
 * Parts of administration pages rendered once per version of the data they show, rather than on
 * every request: the option lists of an ICS's people, places and organisations (hundreds of
 * options on a large ICS, most of a filter or invitation form's cost). The key names the data's
 * version (a number the database moves whenever that data changes) and everything else the part
 * depends on (the chosen option, an error), so a cached part is never out of date; nothing of the
 * request (CSRF token, nonce) may be in one. Without the view cache (`npm run dev`) parts are
 * rendered every time, so edits to a template show at once.
 */
export class FragmentCache {
  private readonly parts = new Map<string, string>()

  constructor(private readonly limit = 500) {}

  /** The part under `key`, rendering it with `render` (which may read the data) only if it is not held. */
  async get(req: Request, key: string, render: () => Promise<string>): Promise<string> {
    const cache = req.app.enabled('view cache')
    const held = cache ? this.parts.get(key) : undefined
    if (held !== undefined) return held
    const html = await render()
    if (cache) {
      // Oldest first: a Map keeps insertion order.
      if (this.parts.size >= this.limit) this.parts.delete(this.parts.keys().next().value!)
      this.parts.set(key, html)
    }
    return html
  }
}

/** A partial rendered on its own (no layout), as `include(view, locals)` would render it in a page. */
export function renderPartial(req: Request, view: string, locals: Record<string, unknown>): Promise<string> {
  return renderView(req.app, view, { ...locals, layout: false })
}
