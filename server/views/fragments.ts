import { randomUUID } from 'node:crypto'
import type { Application, Response } from 'express'
import { escapeHtml } from './compile'
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

/** How a table's rows are rendered and kept: see keptRows. */
export interface RowParts<T> {
  /** The row's partial, given the row as `as`. */
  view: string
  as: string
  /**
   * Everything the row's part shows that can differ between rows or change over time, its id
   * first (so two rows never share a key): a row is rendered again when any of these changes.
   */
  key: (row: T) => ReadonlyArray<string | number | boolean | Date | null | undefined>
  /**
   * Locals for every row (a marker standing for a form token, say): nothing in them may change
   * what a row shows unless its key says so.
   */
  locals?: object
}

/**
 * The rows of a table, each kept as it was rendered under the values its key names, so a page of
 * fifty rows already seen costs fifty look-ups rather than fifty renders (with EJS, some 4 µs a
 * row; turning whole rows into keys, as JSON, cost about as much). Without the view cache every
 * row is rendered every time, as keptFragment does.
 */
export async function keptRows<T>(app: Application, store: FragmentStore<string>, rows: readonly T[], parts: RowParts<T>): Promise<string> {
  const keep = app.enabled('view cache')
  let html = ''
  for (const row of rows) {
    const key = keep ? rowKey(parts.key(row)) : undefined
    let part = key === undefined ? undefined : store.get(key)
    if (part === undefined) {
      part = await renderPartial(app, parts.view, { ...parts.locals, [parts.as]: row })
      if (key !== undefined) store.set(key, part)
    }
    html += part
  }
  return html
}

/** A row's key values as one text: instants by their time, nothing as empty; a NUL between values. */
function rowKey(values: ReadonlyArray<string | number | boolean | Date | null | undefined>): string {
  let key = ''
  for (const value of values) key += `${value instanceof Date ? value.getTime() : (value ?? '')}\u0000`
  return key
}

/**
 * Stands for the form token in a kept part, rendered with it as `csrfToken`: a part is shared by
 * everyone who sees it, a token is each session's own. Random, so no data can contain it.
 */
export const formTokenMarker = `form-token-${randomUUID()}`

/** A kept part with this response's form token in the marker's places, escaped as `<%= %>` escapes it. */
export function withFormToken(html: string, res: Response): string {
  return html.includes(formTokenMarker) ? html.replaceAll(formTokenMarker, escapeHtml(res.locals.csrfToken ?? '')) : html
}
