import type { Knex } from 'knex'

/**
 * Invitations are looked up by organisation: whether an organisation has someone to answer for
 * it (round management, the places and contacts pages). Without an index each lookup read every
 * invitation, so a round page cost grew with organisations times invitations (after a large CSV
 * import, thousands of each).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.index(['organisation_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('invitations', (t) => {
    t.dropIndex(['organisation_id'])
  })
}
