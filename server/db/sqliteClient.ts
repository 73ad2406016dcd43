import { createRequire } from 'node:module'
import type { Knex } from 'knex'

/**
 * knex's better-sqlite3 client, writing LIMIT and OFFSET into the SQL as integers instead of
 * binding them as parameters.
 *
 * Why: SQLite's query planner may use a LIMIT's value, so a statement whose LIMIT or OFFSET is a
 * bound parameter is marked to be prepared again whenever that parameter is bound
 * (sqlite3ExprIsInteger → sqlite3VdbeSetVarmask). knex binds them (`.first()` is `limit ?`), so
 * every such statement was parsed and planned again on every run, even from the prepared-statement
 * cache: 35–45 µs more for the one-row read of a round, an organisation and its response, five
 * times the read itself. As literals, the cached statement is reused as it is.
 *
 * knex has already made the value an integer (`limit(value)` and `offset(value)` keep
 * `parseInt(value)`); anything that is not a safe integer is still bound. PostgreSQL keeps
 * knex's own client: it has no such cost.
 */

/** The part of knex's (untyped) query compiler this relies on. */
interface QueryCompiler {
  single: Record<string, unknown>
  _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): string
}
type QueryCompilerClass = new (client: Knex.Client, builder: unknown, formatter: unknown) => QueryCompiler
type ClientClass = new (config: Knex.Config) => Knex.Client

// knex's dialects are plain JavaScript inside the package, without types of their own.
const load = createRequire(__filename)
const BetterSqlite3Client = load('knex/lib/dialects/better-sqlite3') as ClientClass
const SqliteQueryCompiler = load('knex/lib/dialects/sqlite3/query/sqlite-querycompiler') as QueryCompilerClass

class LiteralLimitQueryCompiler extends SqliteQueryCompiler {
  override _getValueOrParameterFromAttribute(attribute: string, rawValue?: unknown): string {
    if (attribute === 'limit' || attribute === 'offset') {
      const value = rawValue ?? this.single[attribute]
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value)
    }
    return super._getValueOrParameterFromAttribute(attribute, rawValue)
  }
}

export class SqliteClient extends BetterSqlite3Client {
  override queryCompiler(builder: unknown, formatter?: unknown): QueryCompiler {
    return new LiteralLimitQueryCompiler(this, builder, formatter)
  }
}
