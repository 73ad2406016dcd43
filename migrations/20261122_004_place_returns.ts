import type { Knex } from 'knex'

/**
 * Place consensus and ICS assurance: the place return with its agreed position per
 * criterion, the ICS lead's moderation, the delegation decision, and the development plan.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('place_returns', (t) => {
    t.increments('id').primary()
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('place_id').notNullable().references('id').inTable('places').onDelete('CASCADE')
    t.string('status', 20).notNullable().defaultTo('draft')
    t.timestamp('submitted_at', { useTz: true })
    t.integer('submitted_by').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.unique(['round_id', 'place_id'])
    t.index(['place_id'])
  })

  await knex.schema.createTable('place_positions', (t) => {
    t.integer('place_return_id').notNullable().references('id').inTable('place_returns').onDelete('CASCADE')
    t.integer('criterion_id').notNullable().references('id').inTable('framework_criteria').onDelete('RESTRICT')
    t.integer('level')
    t.boolean('not_sure').notNullable().defaultTo(false)
    t.text('rationale').notNullable()
    t.text('evidence_summary')
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.integer('updated_by').references('id').inTable('users').onDelete('SET NULL')
    t.primary(['place_return_id', 'criterion_id'])
    t.index(['criterion_id'])
  })

  await knex.schema.createTable('moderations', (t) => {
    t.integer('place_return_id').notNullable().references('id').inTable('place_returns').onDelete('CASCADE')
    t.integer('criterion_id').notNullable().references('id').inTable('framework_criteria').onDelete('RESTRICT')
    t.integer('level').notNullable()
    t.text('comment').notNullable()
    t.timestamp('moderated_at', { useTz: true }).notNullable()
    t.integer('moderated_by').references('id').inTable('users').onDelete('SET NULL')
    t.primary(['place_return_id', 'criterion_id'])
    t.index(['criterion_id'])
  })

  await knex.schema.createTable('delegation_decisions', (t) => {
    t.increments('id').primary()
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('place_id').notNullable().references('id').inTable('places').onDelete('CASCADE')
    t.integer('recommended_level').notNullable()
    t.integer('decided_level').notNullable()
    t.text('rationale').notNullable()
    t.text('difference_reason')
    t.string('decided_on', 10).notNullable()
    t.string('deciding_body', 200).notNullable()
    // The recommendation and its explanation as they stood when the decision was made.
    t.text('recommendation_snapshot').notNullable()
    t.integer('recorded_by').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('recorded_at', { useTz: true }).notNullable()
    t.unique(['round_id', 'place_id'])
    t.index(['place_id'])
  })

  await knex.schema.createTable('development_actions', (t) => {
    t.increments('id').primary()
    t.integer('place_id').notNullable().references('id').inTable('places').onDelete('CASCADE')
    // The round whose assessment the action answers; open actions carry over to later rounds.
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.string('criterion_code', 10).notNullable()
    t.text('description').notNullable()
    t.integer('owner_organisation_id').references('id').inTable('organisations').onDelete('SET NULL')
    t.string('due_date', 10).notNullable()
    t.string('status', 20).notNullable().defaultTo('not_started')
    t.timestamp('created_at', { useTz: true }).notNullable()
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL')
    t.timestamp('updated_at', { useTz: true }).notNullable()
    t.integer('updated_by').references('id').inTable('users').onDelete('SET NULL')
    t.index(['place_id', 'status'])
    t.index(['round_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['development_actions', 'delegation_decisions', 'moderations', 'place_positions', 'place_returns']) {
    await knex.schema.dropTableIfExists(table)
  }
}
