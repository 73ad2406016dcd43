import type { Knex } from 'knex'

/**
 * How many audit events each ICS has, kept by the database itself: the audit trail shows the
 * count on every view, and counting an ICS's events (some 8,600 on the national data) cost more
 * than the rest of the page's queries together. A trigger moves it in the same transaction as
 * each insert or delete of an event (an event never changes ICS, but an update that moved one
 * would move it too), so every instance reads the right count with one primary-key read, whatever
 * wrote the event (a service, an import, the national data generator, a hand-written fix).
 *
 * On PostgreSQL the triggers are deferred to commit, as the results version's are (migration
 * 013): taken at the write, the ICS's row would be locked from a transaction's first event to its
 * end, and a transaction waiting for it while holding a row another one needs would deadlock.
 * Sign-ins, which belong to no ICS, are not counted here; the trail counts its members' as it reads them.
 */
function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg'
}

const add = (row: 'NEW' | 'OLD', by: 1 | -1) => `update audit_counts set events = events + (${by}) where ics_id = ${row}.ics_id`

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_counts', (t) => {
    t.integer('ics_id').primary().references('id').inTable('ics').onDelete('CASCADE')
    t.bigInteger('events').notNullable().defaultTo(0)
  })
  await knex.raw(
    'insert into audit_counts (ics_id, events) select i.id, (select count(*) from audit_events e where e.ics_id = i.id) from ics i',
  )

  if (isPostgres(knex)) {
    await knex.raw(`create function audit_counts_new_ics() returns trigger language plpgsql as $$
      begin insert into audit_counts (ics_id, events) values (NEW.id, 0); return null; end $$`)
    await knex.raw('create trigger audit_counts_new_ics after insert on ics for each row execute procedure audit_counts_new_ics()')
    await knex.raw(`create function audit_counts_event() returns trigger language plpgsql as $$
      begin
        if TG_OP in ('INSERT', 'UPDATE') and NEW.ics_id is not null then ${add('NEW', 1)}; end if;
        if TG_OP in ('DELETE', 'UPDATE') and OLD.ics_id is not null then ${add('OLD', -1)}; end if;
        return null;
      end $$`)
    await knex.raw(
      `create constraint trigger audit_counts_event after insert or update of ics_id or delete on audit_events
       deferrable initially deferred for each row execute procedure audit_counts_event()`,
    )
    return
  }

  await knex.raw(
    'create trigger audit_counts_new_ics after insert on ics for each row begin insert into audit_counts (ics_id, events) values (NEW.id, 0); end',
  )
  await knex.raw(
    `create trigger audit_counts_insert after insert on audit_events for each row when NEW.ics_id is not null begin ${add('NEW', 1)}; end`,
  )
  await knex.raw(
    `create trigger audit_counts_delete after delete on audit_events for each row when OLD.ics_id is not null begin ${add('OLD', -1)}; end`,
  )
  await knex.raw(
    `create trigger audit_counts_update after update of ics_id on audit_events for each row begin ${add('OLD', -1)}; ${add('NEW', 1)}; end`,
  )
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('drop trigger if exists audit_counts_event on audit_events')
    await knex.raw('drop function if exists audit_counts_event()')
    await knex.raw('drop trigger if exists audit_counts_new_ics on ics')
    await knex.raw('drop function if exists audit_counts_new_ics()')
  } else {
    for (const trigger of ['audit_counts_insert', 'audit_counts_delete', 'audit_counts_update', 'audit_counts_new_ics'])
      await knex.raw(`drop trigger if exists ${trigger}`)
  }
  await knex.schema.dropTableIfExists('audit_counts')
}
