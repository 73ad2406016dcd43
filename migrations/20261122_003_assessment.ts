import type { Knex } from 'knex'

/**
 * The partner self-assessment: a version on every answer (so two colleagues cannot
 * overwrite each other unseen), who last changed a response, and which domains a partner
 * has marked complete.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('answers', (t) => {
    t.integer('version').notNullable().defaultTo(1)
  })
  await knex.schema.alterTable('responses', (t) => {
    t.integer('updated_by').references('id').inTable('users').onDelete('SET NULL')
  })
  await knex.schema.createTable('response_domains', (t) => {
    t.integer('response_id').notNullable().references('id').inTable('responses').onDelete('CASCADE')
    t.string('domain_code', 10).notNullable()
    t.timestamp('completed_at', { useTz: true }).notNullable()
    t.integer('completed_by').references('id').inTable('users').onDelete('SET NULL')
    t.primary(['response_id', 'domain_code'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('response_domains')
  await knex.schema.alterTable('responses', (t) => {
    t.dropColumn('updated_by')
  })
  await knex.schema.alterTable('answers', (t) => {
    t.dropColumn('version')
  })
}
