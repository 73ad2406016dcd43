import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import knex from 'knex'
import { migrations } from '../../migrations'
import { prepareDatabase } from '../../server/bootstrap'
import { loadConfig } from '../../server/config'
import { createDatabase, type Database } from '../../server/db/connection'
import { pendingMigrations } from '../../server/db/migrate'
import { createLogger } from '../../server/logger'
import { BackupError, backupSqlite, restoreSqlite } from '../../server/ops/backup'
import { createServices } from '../../server/services'
import { repositoryRoot } from '../helpers/serverProcess'

/** Backups are of the SQLite database, so these run on SQLite files even in the PostgreSQL pass. */

jest.setTimeout(60_000)

const knownMigrations = migrations.map(([name]) => name)
const logger = createLogger('silent')

let dir: string
let live: string

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-backup-'))
  live = path.join(dir, 'data', 'placeready.sqlite')
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** A live database as the app leaves it: migrated, frameworks loaded, the demo ICS seeded. */
async function demoDatabase(): Promise<Database> {
  const db = createDatabase({ client: 'sqlite', filename: live })
  const config = {
    ...loadConfig({ NODE_ENV: 'test', DEMO: 'on', DEMO_PASSWORD: 'backup-test-password' }),
    database: { client: 'sqlite' as const, filename: live },
  }
  await prepareDatabase(db, createServices(db, config, logger), config, logger, { now: new Date('2026-11-22T10:00:00Z') })
  return db
}

/** Every row of every table, in rowid order. Opened read-only, so looking changes nothing. */
async function snapshot(file: string): Promise<Record<string, unknown[]>> {
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename: file, options: { readonly: true } },
    useNullAsDefault: true,
  })
  try {
    const tables = (await db('sqlite_master')
      .where({ type: 'table' })
      .whereNot('name', 'like', 'sqlite_%')
      .orderBy('name')
      .pluck('name')) as string[]
    const result: Record<string, unknown[]> = {}
    for (const table of tables) result[table] = (await db.raw(`select * from "${table}" order by rowid`)) as unknown[]
    return result
  } finally {
    await db.destroy()
  }
}

/** The bytes of every file in the database's folder, to show that nothing there changed. */
function folderState(folder: string): Record<string, string> {
  const state: Record<string, string> = {}
  for (const name of fs.readdirSync(folder).sort()) {
    state[name] = createHash('sha256')
      .update(fs.readFileSync(path.join(folder, name)))
      .digest('hex')
  }
  return state
}

describe('SQLite backup and restore', () => {
  it('restores a backup over a changed database, giving back exactly the rows that were backed up', async () => {
    const db = await demoDatabase()
    const file = await backupSqlite(live, path.join(dir, 'backups'), { now: new Date('2026-11-22T10:15:00.123Z') })
    expect(file).toBe(path.join(dir, 'backups', 'placeready-20261122T101500Z.sqlite'))
    // One self-contained file: no half-written or WAL files beside it.
    expect(fs.readdirSync(path.join(dir, 'backups'))).toEqual(['placeready-20261122T101500Z.sqlite'])
    await db.destroy()
    const before = await snapshot(live)
    expect(before.answers!.length).toBeGreaterThan(100)
    expect(await snapshot(file)).toEqual(before)

    const changing = createDatabase({ client: 'sqlite', filename: live })
    await changing('answers').delete()
    await changing('users').update({ name: 'Changed after the backup' })
    await changing('ics').insert({ name: 'Made after the backup', slug: 'after', created_at: new Date().toISOString() })
    await changing.destroy()

    const result = restoreSqlite(file, live, knownMigrations)
    expect(result.migrations).toEqual(knownMigrations)
    expect(await snapshot(live)).toEqual(before)
    // The database that was replaced is kept, changes and all.
    expect(result.previous).not.toBeNull()
    const previous = await snapshot(result.previous!)
    expect(previous.answers).toEqual([])
    expect(previous.ics).toHaveLength(2)

    const reopened = createDatabase({ client: 'sqlite', filename: live })
    try {
      expect(await pendingMigrations(reopened)).toEqual([])
    } finally {
      await reopened.destroy()
    }
  })

  it('makes a consistent backup while another process keeps writing, and restores it identically', async () => {
    const db = await demoDatabase()
    await db.destroy()
    // Another process commits pairs of rows, each pair in one transaction, as fast as it can.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `
        const Database = require('better-sqlite3')
        const db = new Database(process.argv[1])
        db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 10000')
        const insert = db.prepare("insert into audit_events (occurred_at, kind, subject_type, subject_id, details) values (?, 'test.write', 'pair', ?, ?)")
        const pair = db.transaction((i) => { const at = new Date().toISOString(); insert.run(at, String(i), 'a'); insert.run(at, String(i), 'b') })
        let n = 0, stopping = false
        process.on('SIGTERM', () => { stopping = true })
        const step = () => {
          if (stopping) { db.close(); process.stdout.write('done ' + n + '\\n'); return }
          pair(++n)
          if (n % 10 === 0) process.stdout.write('count ' + n + '\\n')
          setImmediate(step)
        }
        step()
        `,
        live,
      ],
      { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let committed = 0
    const counted: Array<{ atLeast: number; resolve: () => void }> = []
    const exited = new Promise<number | null>((resolve) => writer.on('exit', resolve))
    writer.stdout.setEncoding('utf8')
    writer.stdout.on('data', (chunk: string) => {
      for (const match of chunk.matchAll(/(?:count|done) (\d+)/g)) committed = Math.max(committed, Number(match[1]))
      for (const waiter of [...counted]) {
        if (committed < waiter.atLeast) continue
        counted.splice(counted.indexOf(waiter), 1)
        waiter.resolve()
      }
    })
    const committedAtLeast = (n: number) =>
      new Promise<void>((resolve) => (committed >= n ? resolve() : counted.push({ atLeast: n, resolve })))

    try {
      await committedAtLeast(100)
      const file = await backupSqlite(live, path.join(dir, 'backups'))
      const backedUp = await snapshot(file)
      const pairs = (backedUp.audit_events as Array<{ kind: string; subject_id: string; details: string }>).filter(
        (e) => e.kind === 'test.write',
      )
      const halves = (half: string) => pairs.filter((e) => e.details === half).map((e) => Number(e.subject_id))
      const k = halves('a').length
      // A snapshot of one moment: every pair whole, none missing before the last one.
      expect(halves('a')).toEqual(Array.from({ length: k }, (_, i) => i + 1))
      expect(halves('b')).toEqual(halves('a'))
      expect(k).toBeGreaterThanOrEqual(100)
      // The writer carried on past the moment the backup captured.
      await committedAtLeast(k + 10)

      writer.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(committed).toBeGreaterThan(k)

      restoreSqlite(file, live, knownMigrations)
      expect(await snapshot(live)).toEqual(backedUp)
    } finally {
      if (writer.exitCode === null) writer.kill('SIGKILL')
    }
  })

  it('after a crash left a -wal file beside the database, restores cleanly and keeps that WAL with the replaced database', async () => {
    const db = await demoDatabase()
    const file = await backupSqlite(live, path.join(dir, 'backups'))
    await db.destroy()
    const backedUp = await snapshot(file)
    // A process that commits into the WAL and dies before SQLite can fold it back in.
    const crashed = spawn(
      process.execPath,
      [
        '-e',
        `
        const Database = require('better-sqlite3')
        const db = new Database(process.argv[1])
        db.pragma('journal_mode = WAL'); db.pragma('wal_autocheckpoint = 0')
        db.prepare("delete from answers").run()
        db.prepare("update users set name = 'Written just before the crash'").run()
        process.kill(process.pid, 'SIGKILL')
        `,
        live,
      ],
      { cwd: repositoryRoot, stdio: 'inherit' },
    )
    expect(await new Promise((resolve) => crashed.on('exit', (_code, signal) => resolve(signal)))).toBe('SIGKILL')
    expect(fs.statSync(`${live}-wal`).size).toBeGreaterThan(0)

    const result = restoreSqlite(file, live, knownMigrations)
    expect(fs.existsSync(`${live}-wal`)).toBe(false)
    expect(fs.existsSync(`${live}-shm`)).toBe(false)
    expect(await snapshot(live)).toEqual(backedUp)
    // Opened as the app opens it (WAL mode), the restored database still has every answer.
    const restored = createDatabase({ client: 'sqlite', filename: live })
    try {
      expect(await restored('answers').count({ n: '*' }).first()).toEqual({ n: backedUp.answers!.length })
      expect(await restored('users').distinct().pluck('name')).not.toContain('Written just before the crash')
    } finally {
      await restored.destroy()
    }
    const previous = createDatabase({ client: 'sqlite', filename: result.previous! })
    try {
      expect(await previous('answers').first()).toBeUndefined()
      expect(await previous('users').distinct().pluck('name')).toEqual(['Written just before the crash'])
    } finally {
      await previous.destroy()
    }
  })

  describe('refuses, leaving the database untouched,', () => {
    let good: string
    let untouched: Record<string, string>

    beforeEach(async () => {
      const db = await demoDatabase()
      good = await backupSqlite(live, path.join(dir, 'backups'))
      await db.destroy()
      untouched = folderState(path.dirname(live))
    })

    afterEach(() => {
      expect(folderState(path.dirname(live))).toEqual(untouched)
    })

    function refusal(file: string, known = knownMigrations): string {
      try {
        restoreSqlite(file, live, known)
      } catch (error) {
        expect(error).toBeInstanceOf(BackupError)
        return (error as Error).message
      }
      throw new Error('restoreSqlite accepted the file')
    }

    it('a file that is not an SQLite database', () => {
      const text = path.join(dir, 'notes.sqlite')
      fs.writeFileSync(text, 'These are not the rows you are looking for.\n'.repeat(200))
      expect(refusal(text)).toMatch(/is not an SQLite database/)
      const empty = path.join(dir, 'empty.sqlite')
      fs.writeFileSync(empty, '')
      expect(refusal(empty)).toMatch(/is not an SQLite database/)
      expect(refusal(path.join(dir, 'missing.sqlite'))).toMatch(/does not exist/)
    })

    it('a damaged SQLite database', async () => {
      const probe = knex({ client: 'better-sqlite3', connection: { filename: good, options: { readonly: true } }, useNullAsDefault: true })
      const pageSize = ((await probe.raw('pragma page_size')) as Array<{ page_size: number }>)[0]!.page_size
      const { rootpage } = (await probe('sqlite_master').where({ name: 'answers' }).first('rootpage')) as { rootpage: number }
      await probe.destroy()
      const damaged = path.join(dir, 'damaged.sqlite')
      const bytes = fs.readFileSync(good)
      // The first byte of a b-tree page says what kind of page it is; 0x00 is none of them.
      bytes[(rootpage - 1) * pageSize] = 0x00
      fs.writeFileSync(damaged, bytes)
      expect(refusal(damaged)).toMatch(/is damaged|cannot be opened|malformed/)
    })

    it('an SQLite database that is not PlaceReady’s', async () => {
      const other = path.join(dir, 'other.sqlite')
      const db = knex({ client: 'better-sqlite3', connection: { filename: other }, useNullAsDefault: true })
      await db.schema.createTable('recipes', (t) => t.increments('id'))
      await db.destroy()
      expect(refusal(other)).toMatch(/not a PlaceReady one/)
    })

    it('a backup from a newer release', () => {
      const newest = knownMigrations[knownMigrations.length - 1]!
      expect(refusal(good, knownMigrations.slice(0, -1))).toContain(`migrations this release does not know (${newest})`)
    })

    it('while PlaceReady has the database open', async () => {
      const running = createDatabase({ client: 'sqlite', filename: live })
      try {
        await running.raw('select 1')
        expect(refusal(good)).toMatch(/is in use: stop PlaceReady/)
      } finally {
        await running.destroy()
      }
    })
  })
})

describe('npm run backup / restore', () => {
  const tsx = path.join(repositoryRoot, 'node_modules', '.bin', 'tsx')

  function run(
    script: string,
    args: string[],
    env: Record<string, string>,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(tsx, [path.join(repositoryRoot, 'scripts', script), ...args], {
        cwd: dir,
        env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent', ...env },
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('exit', (code) => resolve({ code, stdout, stderr }))
    })
  }

  it('backs up into backups/ and prints the path, then restores that file', async () => {
    await (await demoDatabase()).destroy()
    const before = await snapshot(live)
    const backup = await run('backup.ts', [], { DATABASE_FILE: live })
    expect(backup).toMatchObject({ code: 0, stderr: '' })
    const printed = backup.stdout.trim()
    expect(printed).toMatch(/^backups\/placeready-\d{8}T\d{6}Z\.sqlite$/)
    expect(await snapshot(path.join(dir, printed))).toEqual(before)

    const restore = await run('restore.ts', [printed], { DATABASE_FILE: live })
    expect(restore.code).toBe(0)
    expect(restore.stderr).toMatch(/PlaceReady must be stopped/)
    expect(restore.stdout).toMatch(/The database it replaced is kept as /)
    expect(await snapshot(live)).toEqual(before)
  })

  it('refuse on PostgreSQL and say what to use instead', async () => {
    const env = { DATABASE_URL: 'postgres://placeready@db.example/placeready' }
    const [backup, restore] = await Promise.all([run('backup.ts', [], env), run('restore.ts', ['x.dump'], env)])
    expect(backup.code).toBe(2)
    expect(backup.stderr).toContain('pg_dump --format=custom')
    expect(restore.code).toBe(2)
    expect(restore.stderr).toContain('pg_restore --clean --if-exists')
    expect(fs.existsSync(path.join(dir, 'backups'))).toBe(false)
  })
})
