import type { Database } from '../../server/db/connection'

export async function countRows(db: Database, table: string): Promise<number> {
  const row = (await db(table).count({ n: '*' }).first()) as { n: unknown } | undefined
  return Number(row?.n ?? 0)
}

/** The number of rows a query matches, as a number on both databases (PostgreSQL's count is a string). */
export async function countOf(query: { count(column: { n: string }): { first(): PromiseLike<unknown> } }): Promise<number> {
  const row = (await query.count({ n: '*' }).first()) as { n: unknown } | undefined
  return Number(row?.n ?? 0)
}

export async function countAll(db: Database, tables: string[]): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const table of tables) result[table] = await countRows(db, table)
  return result
}

/** Runs `work` and returns what it returned with the SQL statements it sent to the database. */
export async function recordQueries<T>(db: Database, work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
  const queries: string[] = []
  const record = (q: { sql: string }) => queries.push(q.sql)
  db.on('query', record)
  try {
    return { result: await work(), queries }
  } finally {
    db.off('query', record)
  }
}
