import type { Database } from './connection'
import { pendingMigrations } from './migrate'

export type DatabaseReadiness =
  { status: 'ready' } | { status: 'migrations pending'; pending: string[] } | { status: 'database unavailable' }

/** Whether the database answers and its migrations are current: what /readyz reports. */
export async function databaseReadiness(db: Database): Promise<DatabaseReadiness> {
  try {
    await db.raw('select 1')
    const pending = await pendingMigrations(db)
    return pending.length > 0 ? { status: 'migrations pending', pending } : { status: 'ready' }
  } catch {
    return { status: 'database unavailable' }
  }
}
