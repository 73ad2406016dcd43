import type { Knex } from 'knex'

/**
 * Accounts and the security baseline: sessions, shared secrets, rate-limit counters,
 * invitations and one-time tokens (stored only as hashes), sign-in lockout and the outbox.
 * Everything an instance needs to share with the others lives here, not in memory.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.string('sid', 128).primary()
    t.text('data').notNullable()
    t.integer('user_id').references('id').inTable('users').onDelete('CASCADE')
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.index(['expires_at'])
    t.index(['user_id'])
  })

  await knex.schema.createTable('app_secrets', (t) => {
    t.string('name', 60).primary()
    t.text('value').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 300).primary()
    t.integer('hits').notNullable()
    t.timestamp('reset_at', { useTz: true }).notNullable()
    t.index(['reset_at'])
  })

  await knex.schema.alterTable('users', (t) => {
    t.integer('failed_sign_ins').notNullable().defaultTo(0)
    t.timestamp('locked_until', { useTz: true })
    t.timestamp('deactivated_at', { useTz: true })
  })

  await knex.schema.createTable('invitations', (t) => {
    t.increments('id').primary()
    t.string('email', 320).notNullable()
    t.string('name', 200).notNullable()
    t.string('role', 20).notNullable()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.integer('place_id').references('id').inTable('places').onDelete('CASCADE')
    t.integer('organisation_id').references('id').inTable('organisations').onDelete('CASCADE')
    t.integer('invited_by').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('last_sent_at', { useTz: true }).notNullable()
    t.timestamp('accepted_at', { useTz: true })
    t.integer('accepted_user_id').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('revoked_at', { useTz: true })
    t.index(['ics_id', 'created_at'])
    t.index(['place_id'])
    t.index(['email'])
  })

  await knex.schema.createTable('one_time_tokens', (t) => {
    t.increments('id').primary()
    t.string('purpose', 20).notNullable()
    // SHA-256 of the token: the token itself exists only in the e-mail.
    t.string('token_hash', 64).notNullable().unique()
    t.integer('invitation_id').references('id').inTable('invitations').onDelete('CASCADE')
    t.integer('user_id').references('id').inTable('users').onDelete('CASCADE')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('expires_at', { useTz: true }).notNullable()
    t.timestamp('used_at', { useTz: true })
    t.timestamp('revoked_at', { useTz: true })
    t.index(['invitation_id'])
    t.index(['user_id'])
  })

  await knex.schema.createTable('outbox', (t) => {
    t.increments('id').primary()
    t.integer('ics_id').references('id').inTable('ics').onDelete('CASCADE')
    t.string('to_address', 320).notNullable()
    t.string('subject', 300).notNullable()
    t.text('text_body').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable()
    // Set when delivered over SMTP; null while it waits in the outbox.
    t.timestamp('sent_at', { useTz: true })
    t.text('last_error')
    t.index(['ics_id', 'created_at'])
    t.index(['to_address'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('outbox')
  await knex.schema.dropTableIfExists('one_time_tokens')
  await knex.schema.dropTableIfExists('invitations')
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('failed_sign_ins')
    t.dropColumn('locked_until')
    t.dropColumn('deactivated_at')
  })
  await knex.schema.dropTableIfExists('rate_limits')
  await knex.schema.dropTableIfExists('app_secrets')
  await knex.schema.dropTableIfExists('sessions')
}
