import type { Knex } from 'knex'
import { icsOfRow, shared } from './20261203_009_results_versions'

/**
 * On PostgreSQL, the results version (migration 009) moves at commit instead of at each write.
 *
 * Moving it at the write locked the ICS's version row from the transaction's first write to its
 * end, so two transactions of one ICS could deadlock on rows they did not share: A writes an
 * answer (and takes the version), B writes the response (its row) and waits for the version, A
 * then writes the same response and waits for B. As deferred constraint triggers the version is
 * the last lock a transaction takes, once every row it writes is already its own, so nothing that
 * holds it ever waits for another lock. SQLite runs one writer at a time and keeps its triggers.
 */
function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg'
}

async function recreate(knex: Knex, when: 'at commit' | 'at write'): Promise<void> {
  const kind = when === 'at commit' ? 'constraint trigger' : 'trigger'
  const timing = when === 'at commit' ? 'deferrable initially deferred' : ''
  for (const table of Object.keys(icsOfRow)) {
    await knex.raw(`drop trigger if exists results_version_${table} on ${table}`)
    await knex.raw(
      `create ${kind} results_version_${table} after insert or update or delete on ${table} ${timing} for each row execute procedure results_version_${table}()`,
    )
  }
  for (const [table, columns] of Object.entries(shared)) {
    await knex.raw(`drop trigger if exists results_version_${table} on ${table}`)
    await knex.raw(
      columns
        ? `create ${kind} results_version_${table} after update of ${columns.join(', ')} on ${table} ${timing} for each row
           when (${columns.map((c) => `OLD.${c} is distinct from NEW.${c}`).join(' or ')}) execute procedure results_version_shared()`
        : `create ${kind} results_version_${table} after insert or update or delete on ${table} ${timing} for each row execute procedure results_version_shared()`,
    )
  }
}

export async function up(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await recreate(knex, 'at commit')
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) await recreate(knex, 'at write')
}
