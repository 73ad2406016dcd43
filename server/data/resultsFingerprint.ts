import type { Database } from '../db/connection'

/**
 * A fingerprint of everything an ICS's results are read from: rounds and who takes part, places
 * and partner organisations, responses, place returns and their positions, moderation, decisions
 * and plans. Any write the results read model would see changes it: rows added or removed change
 * a count, a level changed changes a sum, a status changed changes a count of statuses, and every
 * other change moves a time. One query, each part an aggregate over an indexed lookup of the ICS's
 * rows, so a cache of results (see the dashboard service) can be checked against the database on
 * every request, by every instance.
 */
export class ResultsFingerprintData {
  constructor(private readonly db: Database) {}

  async forIcs(icsId: number): Promise<string> {
    const rounds = 'select r.id from rounds r where r.ics_id = ?'
    const places = 'select p.id from places p where p.ics_id = ?'
    const returns = `select pr.id from place_returns pr where pr.round_id in (${rounds})`
    const submitted = "sum(case when status = 'submitted' then 1 else 0 end)"
    // One aggregate row per table, each naming the ICS once, joined into one row.
    const groups: Array<[string[], string]> = [
      [['count(*)', 'max(closes_at)', 'max(extended_until)', 'count(extended_until)'], 'rounds where ics_id = ?'],
      [['count(*)'], `round_places where round_id in (${rounds})`],
      [['count(*)', 'sum(length(name))'], 'places where ics_id = ?'],
      [['count(*)'], `organisations where place_id in (${places})`],
      [['count(*)', submitted, 'max(updated_at)'], `responses where round_id in (${rounds})`],
      [['count(*)', submitted, 'max(updated_at)'], `place_returns where round_id in (${rounds})`],
      [['count(*)', 'sum(coalesce(level, 0))', 'max(updated_at)'], `place_positions where place_return_id in (${returns})`],
      [['count(*)', 'sum(level)', 'max(moderated_at)'], `moderations where place_return_id in (${returns})`],
      [['count(*)', 'sum(decided_level)', 'max(recorded_at)'], `delegation_decisions where round_id in (${rounds})`],
      [['count(*)', 'max(updated_at)'], `development_actions where place_id in (${places})`],
    ]
    const names = groups.flatMap(([columns], g) => columns.map((_, c) => `g${g}_${c}`))
    const sql = `select * from ${groups
      .map(([columns, from], g) => `(select ${columns.map((column, c) => `${column} as g${g}_${c}`).join(', ')} from ${from}) t${g}`)
      .join(' cross join ')}`
    const result = (await this.db.raw(
      sql,
      groups.map(() => icsId),
    )) as unknown
    const row = (Array.isArray(result) ? result[0] : (result as { rows: unknown[] }).rows[0]) as Record<string, unknown>
    return names
      .map((name) => {
        const value = row[name]
        return value instanceof Date ? value.toISOString() : String(value ?? '')
      })
      .join('|')
  }
}
