import type { Knex } from 'knex'

/**
 * The foundation: organisations and scopes, frameworks as immutable versions, rounds,
 * partner responses and their answers, users and memberships, and the audit trail.
 * Later capabilities add their tables in new migrations; this one is never edited.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ics', (t) => {
    t.increments('id').primary()
    t.string('name', 200).notNullable()
    t.string('slug', 100).notNullable().unique()
    t.boolean('is_demo').notNullable().defaultTo(false)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

  await knex.schema.createTable('places', (t) => {
    t.increments('id').primary()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.string('name', 200).notNullable()
    t.string('slug', 100).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['ics_id', 'slug'])
    t.unique(['ics_id', 'name'])
  })

  await knex.schema.createTable('organisations', (t) => {
    t.increments('id').primary()
    t.integer('place_id').notNullable().references('id').inTable('places').onDelete('CASCADE')
    t.string('name', 200).notNullable()
    t.string('kind', 40).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['place_id', 'name'])
  })

  await knex.schema.createTable('frameworks', (t) => {
    t.increments('id').primary()
    t.string('slug', 80).notNullable().unique()
    t.string('title', 200).notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })

  await knex.schema.createTable('framework_versions', (t) => {
    t.increments('id').primary()
    t.integer('framework_id').notNullable().references('id').inTable('frameworks').onDelete('RESTRICT')
    t.string('version_label', 40).notNullable()
    t.string('content_hash', 64).notNullable().unique()
    t.text('document').notNullable()
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    // Set when a round first uses the version; from then on it never changes.
    t.timestamp('locked_at', { useTz: true })
    t.index(['framework_id'])
  })

  await knex.schema.createTable('framework_domains', (t) => {
    t.increments('id').primary()
    t.integer('version_id').notNullable().references('id').inTable('framework_versions').onDelete('CASCADE')
    t.string('code', 10).notNullable()
    t.string('title', 200).notNullable()
    t.text('description')
    t.integer('position').notNullable()
    t.unique(['version_id', 'code'])
  })

  await knex.schema.createTable('framework_criteria', (t) => {
    t.increments('id').primary()
    t.integer('version_id').notNullable().references('id').inTable('framework_versions').onDelete('CASCADE')
    t.integer('domain_id').notNullable().references('id').inTable('framework_domains').onDelete('CASCADE')
    t.string('code', 10).notNullable()
    t.string('title', 300).notNullable()
    t.text('description').notNullable()
    // JSON array of { level, text }, in level order.
    t.text('descriptors').notNullable()
    t.integer('threshold').notNullable()
    t.boolean('is_gateway').notNullable().defaultTo(false)
    t.integer('position').notNullable()
    t.unique(['version_id', 'code'])
    t.index(['domain_id'])
  })

  await knex.schema.createTable('rounds', (t) => {
    t.increments('id').primary()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.integer('framework_version_id').notNullable().references('id').inTable('framework_versions').onDelete('RESTRICT')
    t.string('title', 200).notNullable()
    t.timestamp('opens_at', { useTz: true }).notNullable()
    t.timestamp('closes_at', { useTz: true }).notNullable()
    t.timestamp('extended_until', { useTz: true })
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['ics_id', 'title'])
    t.index(['framework_version_id'])
  })

  await knex.schema.createTable('round_places', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('place_id').notNullable().references('id').inTable('places').onDelete('CASCADE')
    t.primary(['round_id', 'place_id'])
    t.index(['place_id'])
  })

  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary()
    // Stored lower-cased so look-ups never depend on how someone typed it.
    t.string('email', 320).notNullable().unique()
    t.string('name', 200).notNullable()
    t.string('password_hash', 255)
    t.boolean('is_active').notNullable().defaultTo(true)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('last_sign_in_at', { useTz: true })
  })

  await knex.schema.createTable('memberships', (t) => {
    t.increments('id').primary()
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE')
    t.string('role', 20).notNullable()
    t.integer('ics_id').notNullable().references('id').inTable('ics').onDelete('CASCADE')
    t.integer('place_id').references('id').inTable('places').onDelete('CASCADE')
    t.integer('organisation_id').references('id').inTable('organisations').onDelete('CASCADE')
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.index(['user_id'])
    t.index(['ics_id'])
    t.index(['place_id'])
    t.index(['organisation_id'])
  })

  await knex.schema.createTable('responses', (t) => {
    t.increments('id').primary()
    t.integer('round_id').notNullable().references('id').inTable('rounds').onDelete('CASCADE')
    t.integer('organisation_id').notNullable().references('id').inTable('organisations').onDelete('CASCADE')
    t.string('status', 20).notNullable().defaultTo('in_progress')
    // Bumped by every save; a save based on an older version is a conflict.
    t.integer('version').notNullable().defaultTo(0)
    t.timestamp('submitted_at', { useTz: true })
    t.integer('submitted_by').references('id').inTable('users').onDelete('SET NULL')
    t.string('reference', 40)
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.unique(['round_id', 'organisation_id'])
    t.index(['organisation_id'])
  })

  await knex.schema.createTable('answers', (t) => {
    t.increments('id').primary()
    t.integer('response_id').notNullable().references('id').inTable('responses').onDelete('CASCADE')
    t.integer('criterion_id').notNullable().references('id').inTable('framework_criteria').onDelete('RESTRICT')
    t.integer('level')
    t.boolean('not_sure').notNullable().defaultTo(false)
    t.text('evidence')
    t.text('support_needed')
    t.integer('target_level')
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('updated_by').references('id').inTable('users').onDelete('SET NULL')
    t.unique(['response_id', 'criterion_id'])
    t.index(['criterion_id'])
  })

  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary()
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    t.integer('actor_user_id').references('id').inTable('users').onDelete('SET NULL')
    t.integer('ics_id').references('id').inTable('ics').onDelete('CASCADE')
    t.string('kind', 60).notNullable()
    t.string('subject_type', 40)
    t.string('subject_id', 40)
    t.text('details')
    t.string('ip', 64)
    t.index(['ics_id', 'occurred_at'])
    t.index(['kind', 'occurred_at'])
    t.index(['actor_user_id', 'occurred_at'])
    t.index(['subject_type', 'subject_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_events',
    'answers',
    'responses',
    'memberships',
    'users',
    'round_places',
    'rounds',
    'framework_criteria',
    'framework_domains',
    'framework_versions',
    'frameworks',
    'organisations',
    'places',
    'ics',
  ]) {
    await knex.schema.dropTableIfExists(table)
  }
}
