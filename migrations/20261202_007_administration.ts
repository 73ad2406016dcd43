import type { Knex } from 'knex'

/**
 * Running a round without a developer: places and organisations that retire instead of being
 * deleted, rounds with their own reminder schedule that can be closed early and copied, a
 * reminder log that follows the deadline (so an extension's reminders count from the new one),
 * outbox deliveries retried with back-off, CSV imports checked and run as jobs any instance can
 * follow, and frameworks owned by the ICS that uploaded them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('places', (t) => {
    t.timestamp('retired_at', { useTz: true })
  })
  await knex.schema.alterTable('organisations', (t) => {
    t.timestamp('retired_at', { useTz: true })
  })

  await knex.schema.alterTable('rounds', (t) => {
    // Set when the ICS lead closes the round before its deadline.
    t.timestamp('closed_at', { useTz: true })
    // Days before the deadline that reminders go, largest first, e.g. "7,3,1".
    t.string('reminder_days', 40).notNullable().defaultTo('7,3,1')
    t.integer('copied_from_round_id').references('id').inTable('rounds').onDelete('SET NULL')
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL')
  })

  // The open development actions a round took over from the round it was copied from.
  await knex.schema.createTable('round_carried_actions', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('action_id').notNullable().references('id').inTable('development_actions').onDelete('CASCADE')
    t.primary(['round_id', 'action_id'])
    t.index(['action_id'])
  })

  // One row per reminder an organisation was sent: scheduled ones are unique per deadline and
  // offset (so each goes once, and an extension's new deadline gets its own); "remind now" ones
  // (days_before null) may repeat.
  await knex.schema.createTable('reminder_log', (t) => {
    t.increments('id').primary()
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('organisation_id').notNullable().references('id').inTable('organisations').onDelete('CASCADE')
    t.string('kind', 20).notNullable()
    t.integer('days_before')
    t.timestamp('deadline', { useTz: true }).notNullable()
    t.timestamp('sent_at', { useTz: true }).notNullable()
    t.integer('recipients').notNullable()
    t.integer('sent_by').references('id').inTable('users').onDelete('SET NULL')
    t.unique(['round_id', 'organisation_id', 'deadline', 'days_before'])
    t.index(['organisation_id', 'sent_at'])
  })
  const earlier = (await knex('reminders_sent').select()) as Array<{
    round_id: number
    organisation_id: number
    kind: string
    sent_at: unknown
    deadline: unknown
    recipients: number
  }>
  for (let i = 0; i < earlier.length; i += 200) {
    await knex('reminder_log').insert(
      earlier.slice(i, i + 200).map((r) => ({
        round_id: r.round_id,
        organisation_id: r.organisation_id,
        kind: 'scheduled',
        days_before: r.kind === '1-day' ? 1 : 7,
        deadline: r.deadline,
        sent_at: r.sent_at,
        recipients: r.recipients,
      })),
    )
  }
  await knex.schema.dropTable('reminders_sent')

  await knex.schema.alterTable('outbox', (t) => {
    t.integer('attempts').notNullable().defaultTo(0)
    // When the retry job may next try a message that failed; null once sent or given up.
    t.timestamp('next_attempt_at', { useTz: true })
    // Set when the last attempt failed: the message is shown as failed and not tried again.
    t.timestamp('failed_at', { useTz: true })
    t.index(['next_attempt_at'])
  })

  await knex.schema.createTable('import_jobs', (t) => {
    t.increments('id').primary()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL')
    t.string('filename', 255).notNullable()
    // checking -> checked (or invalid) -> importing -> imported (or failed); cancelled by the user.
    t.string('status', 20).notNullable()
    t.text('content').notNullable()
    t.integer('total_rows').notNullable().defaultTo(0)
    t.integer('processed_rows').notNullable().defaultTo(0)
    // JSON: what the import creates, and every problem found.
    t.text('counts')
    t.text('problems')
    t.integer('problem_count').notNullable().defaultTo(0)
    t.text('error')
    // Who is working on it and when it last said so: another instance resumes a stale job.
    t.string('worker', 200)
    t.timestamp('heartbeat_at', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.timestamp('finished_at', { useTz: true })
    t.index(['ics_id', 'created_at'])
  })

  // Frameworks an ICS uploads belong to it; the bundled ones (no owner) are everyone's. The same
  // content may be loaded once per owner.
  await knex.schema.alterTable('framework_versions', (t) => {
    t.integer('owner_ics_id').references('id').inTable('ics').onDelete('CASCADE')
    t.integer('based_on_version_id').references('id').inTable('framework_versions').onDelete('SET NULL')
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL')
  })
  await knex.schema.alterTable('framework_versions', (t) => {
    t.dropUnique(['content_hash'])
  })
  await knex.raw('create unique index framework_versions_owner_hash on framework_versions (coalesce(owner_ics_id, 0), content_hash)')
  await knex.schema.alterTable('framework_versions', (t) => {
    t.index(['owner_ics_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index framework_versions_owner_hash')
  await knex.schema.alterTable('framework_versions', (t) => {
    t.dropIndex(['owner_ics_id'])
    t.dropColumn('owner_ics_id')
    t.dropColumn('based_on_version_id')
    t.dropColumn('created_by')
    t.unique(['content_hash'])
  })
  await knex.schema.dropTableIfExists('import_jobs')
  await knex.schema.alterTable('outbox', (t) => {
    t.dropIndex(['next_attempt_at'])
    t.dropColumn('attempts')
    t.dropColumn('next_attempt_at')
    t.dropColumn('failed_at')
  })
  await knex.schema.createTable('reminders_sent', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('organisation_id').notNullable().references('id').inTable('organisations').onDelete('CASCADE')
    t.string('kind', 20).notNullable()
    t.timestamp('sent_at', { useTz: true }).notNullable()
    t.timestamp('deadline', { useTz: true }).notNullable()
    t.integer('recipients').notNullable()
    t.primary(['round_id', 'organisation_id', 'kind'])
    t.index(['organisation_id'])
  })
  await knex.schema.dropTableIfExists('reminder_log')
  await knex.schema.dropTableIfExists('round_carried_actions')
  await knex.schema.alterTable('rounds', (t) => {
    t.dropColumn('closed_at')
    t.dropColumn('reminder_days')
    t.dropColumn('copied_from_round_id')
    t.dropColumn('created_by')
  })
  await knex.schema.alterTable('organisations', (t) => {
    t.dropColumn('retired_at')
  })
  await knex.schema.alterTable('places', (t) => {
    t.dropColumn('retired_at')
  })
}
