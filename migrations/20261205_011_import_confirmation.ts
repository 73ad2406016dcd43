import type { Knex } from 'knex'

/**
 * Who confirmed an import, and from where. The import runs in the background, possibly in another
 * instance than the one that took the confirmation (one whose worker stopped is taken over), so
 * the person and address its audit events name are kept with the job, not in a process's memory;
 * and the person who confirms it may not be the one who uploaded the file.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('import_jobs', (t) => {
    t.integer('confirmed_by').references('id').inTable('users').onDelete('SET NULL')
    t.string('confirmed_ip', 64)
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('import_jobs', (t) => {
    t.dropColumn('confirmed_ip')
    t.dropColumn('confirmed_by')
  })
}
