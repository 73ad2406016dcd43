import { randomBytes } from 'node:crypto'
import type { Database } from '../db/connection'
import { timestamp } from '../db/values'

/**
 * A secret generated once and shared by every instance through the database (for example
 * the session-signing secret when SESSION_SECRET is not set). The first instance to ask
 * creates it; a concurrent creator's insert is ignored and both read the same row.
 */
export async function sharedSecret(db: Database, name: string): Promise<string> {
  await db('app_secrets')
    .insert({ name, value: randomBytes(48).toString('base64url'), created_at: timestamp() })
    .onConflict('name')
    .ignore()
  const row = (await db('app_secrets').where({ name }).first('value')) as { value: string }
  return row.value
}
