import type { Knex } from 'knex'
import { isPostgres, type Database } from './connection'

type ParamValue = string | number | boolean | null

interface SqliteStatement {
  all(...values: unknown[]): unknown[]
  raw(toggle: boolean): SqliteStatement
  columns(): Array<{ name: string }>
}

interface SqliteStatementSource {
  prepare(sql: string): SqliteStatement
}

type RowMaker = (values: unknown[]) => unknown

/**
 * Each statement's rows made from SQLite's values (in column order) by a function whose one
 * object literal names every column, so every row of a statement has one shape from the start.
 * better-sqlite3 makes a row object by setting its columns one at a time from C++, each a call
 * into V8's runtime, and a row of fifteen or twenty columns often ends as a dictionary, slow to
 * read; rows read as arrays and made here cost less to make and to read. As better-sqlite3 does,
 * a column named twice keeps its last value. Kept per prepared statement (see db/connection.ts).
 */
const rowMakers = new WeakMap<SqliteStatement, RowMaker>()

function rowMakerFor(statement: SqliteStatement): RowMaker {
  let maker = rowMakers.get(statement)
  if (maker === undefined) {
    const fields = statement.columns().map((column, i) => `${JSON.stringify(column.name)}: values[${i}]`)
    // The names are the query's own columns, quoted as JSON: no text from a request reaches this code.
    maker = new Function('values', `return { ${fields.join(', ')} }`) as RowMaker
    rowMakers.set(statement, maker)
  }
  return maker
}

/** As knex binds values for better-sqlite3, which takes no booleans or dates. */
const sqliteValue = (value: unknown): unknown =>
  typeof value === 'boolean' ? Number(value) : value instanceof Date ? value.valueOf() : value

interface Compiled {
  sql: string
  /** Each binding in order: a parameter's name, or a value the query itself fixed (a limit, `true`). */
  bindings: Array<{ param: string } | { value: unknown }>
}

/**
 * A read made on every request (the session with its user, an ICS's results version), compiled
 * to SQL once per database rather than by knex's query builder at each call: for the session's
 * select of fifteen columns over five joins, building and compiling the query cost more than
 * SQLite took to run it. The query is written with the builder as usual, given a marker for
 * each parameter; the SQL it compiles to is then run as a raw statement with the parameters in
 * the markers' places, on either database (through knex's pool, so transactions and the group
 * commit are respected as for any other query, and with knex's query event).
 */
export function compiledRead<Params extends Record<string, ParamValue>, Row>(
  build: (db: Database, params: Params) => Knex.QueryBuilder,
  paramNames: ReadonlyArray<keyof Params & string>,
): (db: Database, params: Params) => Promise<Row[]> {
  // The SQL depends only on the dialect, so one per kind of database (a transaction included).
  const compiledFor: { pg?: Compiled; sqlite?: Compiled } = {}

  const compile = (db: Database): Compiled => {
    const markers = Object.fromEntries(paramNames.map((name) => [name, `\u0000compiled-read:${name}`])) as unknown as Params
    const markerNames = new Map(paramNames.map((name) => [markers[name] as string, name]))
    const { sql, bindings } = build(db, markers).toSQL()
    if (sql.includes('\u0000')) throw new Error(`compiledRead: a parameter was written into the SQL rather than bound: ${sql}`)
    const compiled: Compiled = {
      sql,
      bindings: bindings.map((binding) => {
        const param = typeof binding === 'string' ? markerNames.get(binding) : undefined
        return param === undefined ? { value: binding } : { param }
      }),
    }
    for (const name of paramNames)
      if (!compiled.bindings.some((b) => 'param' in b && b.param === name)) throw new Error(`compiledRead: parameter ${name} is not used`)
    return compiled
  }

  return async (db, params) => {
    const dialect = isPostgres(db) ? 'pg' : 'sqlite'
    const compiled = (compiledFor[dialect] ??= compile(db))
    const values = compiled.bindings.map((b) => ('param' in b ? params[b.param] : b.value))
    if (dialect === 'pg') return ((await db.raw(compiled.sql, values as Knex.RawBinding[])) as { rows: Row[] }).rows
    // On SQLite the statement runs on the connection directly (prepared once: db/connection.ts),
    // which is a third of what knex's raw query costs; knex's query event is still emitted.
    const connection = (await db.client.acquireConnection()) as SqliteStatementSource
    try {
      db.client.emit('query', { sql: compiled.sql, bindings: values, method: 'select' })
      const statement = connection.prepare(compiled.sql)
      const makeRow = rowMakerFor(statement)
      // Raw (arrays) for this run only: the statement is shared with anything else that runs the same SQL.
      statement.raw(true)
      let rows: unknown[][]
      try {
        rows = statement.all(...values.map(sqliteValue)) as unknown[][]
      } finally {
        statement.raw(false)
      }
      return rows.map(makeRow) as Row[]
    } finally {
      db.client.releaseConnection(connection)
    }
  }
}
