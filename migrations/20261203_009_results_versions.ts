import type { Knex } from 'knex'

/**
 * A version of each ICS's results, moved by the database itself whenever a row the results read
 * model (server/results) reads from is written: a trigger on every such table, for every insert,
 * update and delete, in the same transaction as the write. Caches of results (the dashboard, home
 * pages, /places) are checked against it on every request with one primary-key read, in place of
 * an aggregate over every table, so every instance sees every change at once and no write path
 * (a service, an import, the national data generator, a hand-written fix in the database) can
 * forget to move it. test/integration/resultsVersions.test.ts checks that every table the read
 * model reads has these triggers and that each kind of write moves the version.
 *
 * A row finds its ICS through its parents (a partner's answer through its response and round);
 * tables shared by every ICS (the frameworks, people's names) move every ICS's version, as they
 * change rarely. An update moves the version of the ICS the row left as well as the one it joined.
 */

/** How a row (NEW or OLD) of each table finds its ICS. */
export const icsOfRow: Record<string, (row: 'NEW' | 'OLD') => string> = {
  rounds: (row) => `${row}.ics_id`,
  places: (row) => `${row}.ics_id`,
  round_places: (row) => `(select ics_id from rounds where id = ${row}.round_id)`,
  organisations: (row) => `(select ics_id from places where id = ${row}.place_id)`,
  responses: (row) => `(select ics_id from rounds where id = ${row}.round_id)`,
  response_domains: (row) => `(select rd.ics_id from responses rs join rounds rd on rd.id = rs.round_id where rs.id = ${row}.response_id)`,
  answers: (row) => `(select rd.ics_id from responses rs join rounds rd on rd.id = rs.round_id where rs.id = ${row}.response_id)`,
  place_returns: (row) => `(select ics_id from rounds where id = ${row}.round_id)`,
  place_positions: (row) =>
    `(select rd.ics_id from place_returns pr join rounds rd on rd.id = pr.round_id where pr.id = ${row}.place_return_id)`,
  moderations: (row) =>
    `(select rd.ics_id from place_returns pr join rounds rd on rd.id = pr.round_id where pr.id = ${row}.place_return_id)`,
  delegation_decisions: (row) => `(select ics_id from rounds where id = ${row}.round_id)`,
  development_actions: (row) => `(select ics_id from places where id = ${row}.place_id)`,
}

/** Tables every ICS shares: a write moves every ICS's version. Only these columns of users are read. */
export const shared: Record<string, string[] | null> = {
  frameworks: null,
  framework_versions: null,
  framework_domains: null,
  framework_criteria: null,
  users: ['name'],
}

const bump = 'update results_versions set version = version + 1'

function isPostgres(knex: Knex): boolean {
  return knex.client.config.client === 'pg'
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('results_versions', (t) => {
    t.integer('ics_id').primary().references('id').inTable('ics').onDelete('CASCADE')
    t.bigInteger('version').notNullable().defaultTo(0)
  })
  await knex.raw('insert into results_versions (ics_id, version) select id, 0 from ics')

  if (isPostgres(knex)) {
    await knex.raw(`create function results_versions_new_ics() returns trigger language plpgsql as $$
      begin insert into results_versions (ics_id, version) values (NEW.id, 0); return null; end $$`)
    await knex.raw('create trigger results_versions_new_ics after insert on ics for each row execute procedure results_versions_new_ics()')
    for (const [table, icsOf] of Object.entries(icsOfRow)) {
      await knex.raw(`create function results_version_${table}() returns trigger language plpgsql as $$
        begin
          if TG_OP = 'INSERT' then ${bump} where ics_id = ${icsOf('NEW')};
          elsif TG_OP = 'DELETE' then ${bump} where ics_id = ${icsOf('OLD')};
          else ${bump} where ics_id in (${icsOf('NEW')}, ${icsOf('OLD')});
          end if;
          return null;
        end $$`)
      await knex.raw(
        `create trigger results_version_${table} after insert or update or delete on ${table} for each row execute procedure results_version_${table}()`,
      )
    }
    await knex.raw(`create function results_version_shared() returns trigger language plpgsql as $$
      begin ${bump}; return null; end $$`)
    for (const [table, columns] of Object.entries(shared)) {
      await knex.raw(
        columns
          ? `create trigger results_version_${table} after update of ${columns.join(', ')} on ${table} for each row
             when (${columns.map((c) => `OLD.${c} is distinct from NEW.${c}`).join(' or ')}) execute procedure results_version_shared()`
          : `create trigger results_version_${table} after insert or update or delete on ${table} for each row execute procedure results_version_shared()`,
      )
    }
    return
  }

  await knex.raw(
    'create trigger results_versions_new_ics after insert on ics for each row begin insert into results_versions (ics_id, version) values (NEW.id, 0); end',
  )
  for (const [table, icsOf] of Object.entries(icsOfRow)) {
    await knex.raw(
      `create trigger results_version_${table}_insert after insert on ${table} for each row begin ${bump} where ics_id = ${icsOf('NEW')}; end`,
    )
    await knex.raw(
      `create trigger results_version_${table}_update after update on ${table} for each row begin ${bump} where ics_id in (${icsOf('NEW')}, ${icsOf('OLD')}); end`,
    )
    await knex.raw(
      `create trigger results_version_${table}_delete after delete on ${table} for each row begin ${bump} where ics_id = ${icsOf('OLD')}; end`,
    )
  }
  for (const [table, columns] of Object.entries(shared)) {
    if (columns) {
      await knex.raw(
        `create trigger results_version_${table}_update after update of ${columns.join(', ')} on ${table} for each row
         when ${columns.map((c) => `OLD.${c} is not NEW.${c}`).join(' or ')} begin ${bump}; end`,
      )
      continue
    }
    for (const operation of ['insert', 'update', 'delete'])
      await knex.raw(`create trigger results_version_${table}_${operation} after ${operation} on ${table} for each row begin ${bump}; end`)
  }
}

export async function down(knex: Knex): Promise<void> {
  if (isPostgres(knex)) {
    await knex.raw('drop trigger if exists results_versions_new_ics on ics')
    await knex.raw('drop function if exists results_versions_new_ics()')
    for (const table of [...Object.keys(icsOfRow), ...Object.keys(shared)]) {
      await knex.raw(`drop trigger if exists results_version_${table} on ${table}`)
      await knex.raw(`drop function if exists results_version_${table}()`)
    }
    await knex.raw('drop function if exists results_version_shared()')
  } else {
    await knex.raw('drop trigger if exists results_versions_new_ics')
    for (const table of [...Object.keys(icsOfRow), ...Object.keys(shared)])
      for (const operation of ['insert', 'update', 'delete']) await knex.raw(`drop trigger if exists results_version_${table}_${operation}`)
  }
  await knex.schema.dropTableIfExists('results_versions')
}
