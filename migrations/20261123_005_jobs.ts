import type { Knex } from 'knex'

/**
 * Background work shared by every instance: a lease per job, so that of all the instances
 * and workers only one runs a job at a time, and the reminders already sent, so that a
 * reminder goes once per organisation per kind however many instances try.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('job_leases', (t) => {
    t.string('name', 60).primary()
    // Who holds it: host, process id and a random part, unique per scheduler.
    t.string('holder', 200).notNullable()
    t.timestamp('acquired_at', { useTz: true }).notNullable()
    // Anyone may take the lease once this has passed; the holder renews it before then.
    t.timestamp('expires_at', { useTz: true }).notNullable()
  })

  await knex.schema.createTable('reminders_sent', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('organisation_id').notNullable().references('id').inTable('organisations').onDelete('CASCADE')
    // '7-days' or '1-day'.
    t.string('kind', 20).notNullable()
    t.timestamp('sent_at', { useTz: true }).notNullable()
    // The deadline the reminder named, and how many people it went to.
    t.timestamp('deadline', { useTz: true }).notNullable()
    t.integer('recipients').notNullable()
    t.primary(['round_id', 'organisation_id', 'kind'])
    t.index(['organisation_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('reminders_sent')
  await knex.schema.dropTableIfExists('job_leases')
}
