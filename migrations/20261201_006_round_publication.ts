import type { Knex } from 'knex'

/**
 * Publication of a round's results: until the ICS lead publishes them, reports are drafts that
 * only ICS leads and place leads (their own place) may download; once published, board viewers
 * may read them too. When and by whom it was published, kept on the round itself.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.timestamp('published_at', { useTz: true }).nullable()
    t.integer('published_by').nullable().references('id').inTable('users').onDelete('SET NULL')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('rounds', (t) => {
    t.dropForeign(['published_by'])
    t.dropColumn('published_by')
    t.dropColumn('published_at')
  })
}
