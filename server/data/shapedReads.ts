import type { Knex } from 'knex'
import { BoundedCache } from '../boundedCache'
import { compiledRead } from '../db/compiledRead'
import type { Database } from '../db/connection'

export type ShapedParams = Record<string, string | number>
export type ShapedRead<Row> = (db: Database, params: ShapedParams) => Promise<Row[]>

/**
 * Reads of a list page compiled once per shape (which filters are set, how many ids a list
 * holds, the page: knex writes a page's limits into the SQL, or binds them as values the query
 * fixes) rather than built by knex on every view, which for these pages cost more than the
 * database took to run them. A shape is the parameters' names and `more`, which must name
 * anything else that changes the query's text (the page); shapes are kept up to a bound, so an
 * odd one costs one compilation.
 */
export function shapedReads<Row>(bound: number) {
  const reads = new BoundedCache<string, ShapedRead<Row>>(bound)
  return (params: ShapedParams, more: string, build: (db: Database, params: ShapedParams) => Knex.QueryBuilder): ShapedRead<Row> => {
    const shape = `${Object.keys(params).join(',')}\u0000${more}`
    let read = reads.get(shape)
    if (read === undefined) {
      read = compiledRead<ShapedParams, Row>(build, Object.keys(params))
      reads.set(shape, read)
    }
    return read
  }
}

/** A list of ids as parameters (`prefix0`, `prefix1`…), and back from the markers compiledRead builds with. */
export function idParams(prefix: string, ids: readonly number[]): ShapedParams {
  return Object.fromEntries(ids.map((id, i) => [`${prefix}${i}`, id]))
}

export function idsOf(prefix: string, params: ShapedParams): Array<string | number> {
  return Object.keys(params)
    .filter((name) => new RegExp(`^${prefix}\\d+$`).test(name))
    .map((name) => params[name]!)
}
