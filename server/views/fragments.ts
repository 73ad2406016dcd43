import type { Application } from 'express'
import { renderView } from './render'

/**
 * Where kept parts of pages are held: a BoundedCache under keys that name what a part shows, or a
 * WeakMap keyed by the very objects it shows (results kept while nothing changed), so a part goes
 * when they do.
 */
export interface FragmentStore<K> {
  get(key: K): string | undefined
  set(key: K, html: string): unknown
}

/** A partial rendered on its own (no layout), as `include(view, locals)` would render it in a page. */
export function renderPartial(app: Application, view: string, locals: object): Promise<string> {
  return renderView(app, view, { ...locals, layout: false })
}

/**
 * A part of a page (an option list of hundreds of people, a criterion's choices, a results table)
 * rendered once under `key` rather than on every request, by `render` (which may read the data).
 * The key must say everything the part depends on (the data's version, the option chosen, an
 * error), so a kept part is never out of date, and nothing of the request (a form token) may be in
 * it. Without the view cache (`npm run dev`) it is rendered every time, so edits show at once.
 */
export async function keptFragment<K>(app: Application, store: FragmentStore<K>, key: K, render: () => Promise<string>): Promise<string> {
  const keep = app.enabled('view cache')
  const held = keep ? store.get(key) : undefined
  if (held !== undefined) return held
  const html = await render()
  if (keep) store.set(key, html)
  return html
}
