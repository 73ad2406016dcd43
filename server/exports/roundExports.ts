/**
 * The large downloads of a round, written into any stream: the routes send them to the browser
 * and the bench measures them. Each reads the round a page at a time (ExportService) as the
 * stream takes what was written.
 */
import type { Writable } from 'node:stream'
import * as serialise from '../api/serialise'
import { levelNames } from '../framework/levels'
import type { ExportScope, ExportService } from '../services/exportService'
import { writeCsv } from './csv'
import { sheet, writeWorkbook } from './excel'
import { writeJsonDocument } from './json'
import { answersTable } from './tables'

/** Every organisation x criterion of the round in scope, as CSV or as an Excel workbook. */
export async function writeAnswers(out: Writable, exports: ExportService, scope: ExportScope, format: 'csv' | 'xlsx'): Promise<void> {
  const { version } = await exports.framework(scope)
  const table = answersTable(levelNames(version.document))
  if (format === 'csv') await writeCsv(out, table, exports.answerRows(scope))
  else await writeWorkbook(out, [sheet(table, exports.answerRows(scope))])
}

/** The whole round as one JSON document, in the API's shapes: the round, framework, places, then every respondent. */
export async function writeRoundJson(out: Writable, exports: ExportService, scope: ExportScope, now: Date): Promise<void> {
  const results = await exports.roundResults(scope)
  const { version, criteria } = await exports.framework(scope)
  await writeJsonDocument(out, {
    head: {
      exportedAt: now.toISOString(),
      round: serialise.round(results),
      framework: serialise.framework(version, criteria, [version], `/api/v1/frameworks/${version.frameworkId}?version=${version.id}`).data,
      places: results.places.map((p) => serialise.placeDetail(results, p).data),
    },
    itemsKey: 'respondents',
    items: (async function* () {
      for await (const row of exports.respondentAnswers(scope)) yield serialise.respondentAnswers(row)
    })(),
  })
}
