import type { Knex } from 'knex'

/**
 * Tokens for the read-only JSON API (/api/v1/): made by an ICS lead, scoped to their ICS, named
 * so people know which tool holds which, stored only as a SHA-256 hash of the secret (shown
 * once), with when each was last used, and revocable (a revoked token is kept, for the record).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_tokens', (t) => {
    t.increments('id').primary()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.string('name', 100).notNullable()
    t.string('token_hash', 64).notNullable().unique()
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('last_used_at', { useTz: true })
    t.timestamp('revoked_at', { useTz: true })
    t.integer('revoked_by').references('id').inTable('users').onDelete('SET NULL')
    t.index(['ics_id', 'created_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('api_tokens')
}
