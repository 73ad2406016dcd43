import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { hashPassword } from '../../server/auth/passwords'
import { createDatabase } from '../../server/db/connection'
import { migrateToLatest } from '../../server/db/migrate'
import { generateNationalData, type NationalDataOptions } from '../../server/ops/nationalData'
import { markdownTable, root } from './support'

/**
 * The export profile (`npm run bench -- exports`): how much memory streaming a round's exports
 * takes. Each export runs alone in its own process (bench/exportChild.ts), through the same
 * functions the download routes call (server/exports/roundExports.ts), into a reader that takes
 * a chunk per turn of the event loop; its peak resident memory (VmHWM) and the most its live
 * heap held are read there. Two data sets from the national-scale generator (server/ops/nationalData.ts):
 *  - national: the generator's own data (42 ICSs, 200 places, 2,000 organisations), the open
 *    round of its largest ICS;
 *  - 112,000 answers: every one of BENCH_EXPORT_ORGANISATIONS (7,000) organisations in one ICS's
 *    closed round, 16 answers each with evidence: more than any real round.
 * Exports: every answer as CSV and as Excel, and the whole round as JSON.
 *
 * Targets: every export keeps the process under 200 MB, on both data sets; on the 112,000
 * answers the live heap also stays under 64 MB (it holds a page of rows, not the round: what the
 * resident peak holds beyond it is garbage V8 has not collected yet).
 */

const organisations = Number(process.env.BENCH_EXPORT_ORGANISATIONS ?? 7000)
const memoryLimitMb = 200
const liveLimitMb = 64

interface ChildResult {
  bytes: number
  seconds: number
  beforeMb: number
  peakMb: number
  liveMb: number
}

async function build(file: string, options: Omit<NationalDataOptions, 'passwordHash'>, closed: boolean) {
  const db = createDatabase({ client: 'sqlite', filename: file })
  try {
    await migrateToLatest(db)
    const summary = await generateNationalData(db, { ...options, passwordHash: await hashPassword('bench-password-1234') })
    const round = (await db('rounds')
      .where({ ics_id: summary.largest.id })
      .orderBy('opens_at', closed ? 'asc' : 'desc')
      .first('id')) as { id: number }
    const count = (await db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .where('r.round_id', round.id)
      .count({ n: '*' })
      .first()) as {
      n: unknown
    }
    const orgs = (await db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .where('rp.round_id', round.id)
      .count({ n: '*' })
      .first()) as {
      n: unknown
    }
    return { roundId: round.id, answers: Number(count.n), organisations: Number(orgs.n) }
  } finally {
    await db.destroy()
  }
}

/**
 * How `npm start` runs Node (its V8 memory flags and TypeScript loader: the young generation's
 * size alone moves the peak by tens of MB), so the child measures what the app would.
 */
function startOptions(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  const words = start.split(/\s+/)
  const script = words.findIndex((w) => w.endsWith('.ts'))
  if (words[0] !== 'node' || script < 0) throw new Error(`npm start is no longer "node <options> <script>.ts": ${start}`)
  return words.slice(1, script)
}

function runChild(file: string, roundId: number, format: 'csv' | 'xlsx' | 'json'): ChildResult {
  const output = execFileSync(process.execPath, [...startOptions(), 'scripts/bench/exportChild.ts', file, String(roundId), format], {
    cwd: root,
    encoding: 'utf8',
  })
  return JSON.parse(output.trim().split('\n').at(-1)!) as ChildResult
}

export async function benchExports(dir: string): Promise<boolean> {
  const sets = [
    { name: 'national', file: path.join(dir, 'exports-national.sqlite'), options: {}, closed: false, limit: 'rss' as const },
    {
      name: `${(organisations * 16).toLocaleString('en-GB')} answers`,
      file: path.join(dir, 'exports-large.sqlite'),
      options: { icsCount: 1, placeCount: 200, organisationCount: organisations, roundsPerIcs: 2 },
      closed: true,
      limit: 'live' as const,
    },
  ]
  const rows: string[][] = [['data', 'export', 'MB written', 'seconds', 'MB before', 'peak MB', 'live heap MB']]
  let holds = true
  const verdicts: string[] = []
  for (const set of sets) {
    const built = performance.now()
    const { roundId, answers, organisations: orgs } = await build(set.file, set.options, set.closed)
    console.log(
      `  ${set.name}: a round of ${orgs.toLocaleString('en-GB')} organisations, ${answers.toLocaleString('en-GB')} answers (built in ${((performance.now() - built) / 1000).toFixed(1)} s)`,
    )
    for (const [label, format] of [
      ['every answer, CSV', 'csv'],
      ['every answer, Excel', 'xlsx'],
      ['the whole round, JSON', 'json'],
    ] as const) {
      const r = runChild(set.file, roundId, format)
      rows.push([
        set.name,
        label,
        (r.bytes / 1e6).toFixed(1),
        r.seconds.toFixed(1),
        r.beforeMb.toFixed(0),
        r.peakMb.toFixed(0),
        r.liveMb.toFixed(0),
      ])
      // Every export keeps the process under the limit; the big round's must also hold only a page.
      const underLimit = r.peakMb < memoryLimitMb
      const ok = underLimit && (set.limit === 'rss' || r.liveMb < liveLimitMb)
      holds &&= ok
      verdicts.push(
        set.limit === 'rss'
          ? `Target (process under ${memoryLimitMb} MB), ${set.name}, ${label}: peak ${r.peakMb.toFixed(0)} MB – ${ok ? 'holds' : 'does NOT hold'}`
          : `Target (process under ${memoryLimitMb} MB, live heap under ${liveLimitMb} MB), ${set.name}, ${label}: peak ${r.peakMb.toFixed(0)} MB, live ${r.liveMb.toFixed(0)} MB – ${ok ? 'holds' : 'does NOT hold'}`,
      )
    }
  }
  console.log('')
  console.log(markdownTable(rows))
  console.log('')
  for (const v of verdicts) console.log(v)
  return holds
}
