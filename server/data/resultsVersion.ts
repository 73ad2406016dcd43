import type { Database } from '../db/connection'
import { compiledRead } from '../db/compiledRead'

const readVersion = compiledRead<{ icsId: number }, { version: number | string }>(
  (db, { icsId }) => db('results_versions').where({ ics_id: icsId }).first('version'),
  ['icsId'],
)

/**
 * The version of an ICS's results: a number the database moves, in the same transaction, on every
 * write to any table the results read model reads (triggers; migrations/20261203_009_results_versions.ts).
 * A cache of results (see the dashboard service) checks it on every request, by every instance:
 * one read by primary key, however much data the ICS has.
 */
export class ResultsVersionData {
  constructor(private readonly db: Database) {}

  /** The ICS's results version, as text ('' for an ICS that does not exist). */
  async forIcs(icsId: number): Promise<string> {
    const [row] = await readVersion(this.db, { icsId })
    return row === undefined ? '' : String(row.version)
  }
}
