import type { Knex } from 'knex'

/**
 * Which content is the default framework's is read on every view of the public /framework page.
 * On SQLite a version's columns after its document (owner_ics_id among them) lie beyond the
 * document's overflow pages, so finding the newest bundled version walked through every
 * version's document. This index answers the look-up (framework, owner, newest first, its
 * content hash) without reading the table.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('framework_versions', (t) => {
    t.index(['framework_id', 'owner_ics_id', 'id', 'content_hash'], 'framework_versions_newest_lookup')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('framework_versions', (t) => {
    t.dropIndex(['framework_id', 'owner_ics_id', 'id', 'content_hash'], 'framework_versions_newest_lookup')
  })
}
