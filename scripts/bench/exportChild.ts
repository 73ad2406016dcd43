/**
 * One export of the export bench, alone in its own process (`node <npm start's options>
 * scripts/bench/exportChild.ts <database> <round id> csv|xlsx|json`): the round's answers, or the
 * whole round, streamed into a sink that keeps nothing, exactly as a download writes them. It
 * prints the bytes written, the seconds taken and the process's memory: resident before, its
 * peak (VmHWM) after, and the most the live heap held (after a full collection, every 500
 * chunks): what the export itself keeps, apart from garbage V8 has not collected yet.
 */

v8.setFlagsFromString('--expose-gc')
const collect = vm.runInNewContext('gc') as () => void
import fs from 'node:fs'
import { Writable } from 'node:stream'
import v8 from 'node:v8'
import vm from 'node:vm'
import { createDatabase } from '../../server/db/connection'
import { writeAnswers, writeRoundJson } from '../../server/exports/roundExports'
import { ResultsReadModel } from '../../server/results'
import { AuditService } from '../../server/services/auditService'
import { ExportService } from '../../server/services/exportService'

const status = (field: 'VmRSS' | 'VmHWM') =>
  Number(
    /(\d+)/.exec(
      fs
        .readFileSync('/proc/self/status', 'utf8')
        .split('\n')
        .find((l) => l.startsWith(field)) ?? '',
    )?.[1] ?? 0,
  ) / 1024

async function main(): Promise<void> {
  const [file, round, format] = process.argv.slice(2) as [string, string, 'csv' | 'xlsx' | 'json']
  const db = createDatabase({ client: 'sqlite', filename: file })
  const exports = new ExportService(db, new ResultsReadModel(db), new AuditService(db, () => new Date()))
  const icsId = (
    (await db('rounds')
      .where({ id: Number(round) })
      .first('ics_id')) as { ics_id: number }
  ).ics_id
  const scope = await exports.scopeForClient({ tokenId: 0, icsId, tokenName: 'bench' }, Number(round))
  let bytes = 0
  let chunks = 0
  let liveMb = 0
  const sink = new Writable({
    // A reader somewhat slower than memory: a chunk is taken on the next turn of the event loop.
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      if (++chunks % 500 === 0) {
        collect()
        liveMb = Math.max(liveMb, process.memoryUsage().heapUsed / 1e6)
      }
      setImmediate(done)
    },
  })
  const before = status('VmRSS')
  const started = performance.now()
  if (format === 'json') await writeRoundJson(sink, exports, scope, new Date())
  else await writeAnswers(sink, exports, scope, format)
  const seconds = (performance.now() - started) / 1000
  collect()
  liveMb = Math.max(liveMb, process.memoryUsage().heapUsed / 1e6)
  await db.destroy()
  console.log(JSON.stringify({ bytes, seconds, beforeMb: before, peakMb: status('VmHWM'), liveMb }))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
