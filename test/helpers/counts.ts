import type { Database } from '../../server/db/connection'

export async function countRows(db: Database, table: string): Promise<number> {
  const row = (await db(table).count({ n: '*' }).first()) as { n: unknown } | undefined
  return Number(row?.n ?? 0)
}

export async function countAll(db: Database, tables: string[]): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const table of tables) result[table] = await countRows(db, table)
  return result
}
