import { randomUUID } from 'node:crypto'
import ejs from 'ejs'
import type { Application, Response } from 'express'
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

/**
 * The rows of a table, each kept as it was rendered by `view` (with the row as `name`) under a
 * key of everything the row holds (its JSON), so a page of fifty rows already seen costs fifty
 * look-ups rather than fifty renders; a row whose data changed has a new key. The row object
 * must therefore hold everything its part shows, and `locals` must be the same on every call
 * with the same store (a marker standing for a form token, say, replaced by the caller).
 */
export async function keptRows<T>(
  app: Application,
  store: FragmentStore<string>,
  view: string,
  name: string,
  rows: readonly T[],
  locals: object = {},
): Promise<string> {
  const keep = app.enabled('view cache')
  let html = ''
  for (const row of rows) {
    const key = keep ? JSON.stringify(row) : undefined
    let part = key === undefined ? undefined : store.get(key)
    if (part === undefined) {
      part = await renderPartial(app, view, { ...locals, [name]: row })
      if (key !== undefined) store.set(key, part)
    }
    html += part
  }
  return html
}

/**
 * Stands for the form token in a kept part, rendered with it as `csrfToken`: a part is shared by
 * everyone who sees it, a token is each session's own. Random, so no data can contain it.
 */
export const formTokenMarker = `form-token-${randomUUID()}`

/** A kept part with this response's form token in the marker's places, escaped as `<%= %>` escapes it. */
export function withFormToken(html: string, res: Response): string {
  return html.includes(formTokenMarker) ? html.replaceAll(formTokenMarker, ejs.escapeXML(String(res.locals.csrfToken ?? ''))) : html
}
