import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * Online backups and safe restores of the SQLite database. PostgreSQL has its own, better
 * tools (pg_dump / pg_restore), so these refuse to pretend otherwise.
 */

/** The part of better-sqlite3 used here (the package ships no types, and knex hides it). */
interface SqliteStatement {
  all(...params: unknown[]): unknown[]
}
interface SqliteConnection {
  pragma(source: string, options?: { simple?: boolean }): unknown
  exec(source: string): void
  prepare(source: string): SqliteStatement
  backup(destination: string, options?: { progress?: (info: { totalPages: number; remainingPages: number }) => number }): Promise<unknown>
  close(): void
}
type SqliteConstructor = new (
  filename: string,
  options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number },
) => SqliteConnection
const load = createRequire(__filename)
const openSqlite = (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }): SqliteConnection => {
  const Sqlite = load('better-sqlite3') as SqliteConstructor
  return new Sqlite(filename, options)
}

export class BackupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupError'
  }
}

/** What to do instead when DATABASE_URL points at PostgreSQL. */
export function postgresAdvice(action: 'backup' | 'restore'): string {
  return action === 'backup'
    ? [
        'DATABASE_URL is set, so the data is in PostgreSQL: back it up with PostgreSQL’s own tools, which take a',
        'consistent snapshot while PlaceReady keeps running:',
        '',
        '  pg_dump --format=custom --file="backups/placeready-$(date -u +%Y%m%dT%H%M%SZ).dump" "$DATABASE_URL"',
      ].join('\n')
    : [
        'DATABASE_URL is set, so the data is in PostgreSQL: restore a pg_dump backup with pg_restore, with every',
        'PlaceReady instance stopped:',
        '',
        '  pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$DATABASE_URL" FILE.dump',
      ].join('\n')
}

/** backups/placeready-20261122T101500Z.sqlite: sorts by time, and says UTC. */
export function backupFileName(now: Date): string {
  return `placeready-${now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '')}.sqlite`
}

function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r+')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Makes a rename durable: without it a power cut can bring back the old directory entry. */
function fsyncDirectory(directory: string): void {
  try {
    const fd = fs.openSync(directory, 'r')
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // Some file systems cannot open or sync a directory; the rename itself has still happened.
  }
}

function unusedPath(directory: string, name: string): string {
  const extension = path.extname(name)
  const stem = name.slice(0, name.length - extension.length)
  for (let n = 1; ; n++) {
    const candidate = path.join(directory, n === 1 ? name : `${stem}-${n}${extension}`)
    if (!fs.existsSync(candidate)) return candidate
  }
}

/**
 * Copies the live database into `backupDirectory` while the app keeps running, and returns
 * the new file's path. better-sqlite3's online backup copies every page in a single step,
 * under one read transaction: in WAL mode that never blocks the app's writers, and unlike
 * a page-by-page backup it cannot be restarted forever by a steady stream of writes. The
 * copy is switched out of WAL mode so it is one self-contained file, checked, and only then
 * given its final name, so a file named placeready-*.sqlite is always a complete backup.
 */
export async function backupSqlite(databaseFile: string, backupDirectory: string, options: { now?: Date } = {}): Promise<string> {
  if (!fs.existsSync(databaseFile)) throw new BackupError(`There is no database at ${databaseFile} to back up.`)
  fs.mkdirSync(backupDirectory, { recursive: true })
  const target = unusedPath(backupDirectory, backupFileName(options.now ?? new Date()))
  const partial = `${target}.partial`
  try {
    const source = openSqlite(databaseFile, { fileMustExist: true, timeout: 10_000 })
    try {
      await source.backup(partial, { progress: () => 0x7fffffff })
    } finally {
      source.close()
    }
    const copy = openSqlite(partial, { fileMustExist: true })
    try {
      copy.pragma('journal_mode = DELETE')
      const problems = integrityProblems(copy)
      if (problems.length > 0) throw new BackupError(`The backup copy failed its integrity check: ${problems.join('; ')}`)
    } finally {
      copy.close()
    }
    fsyncFile(partial)
    fs.renameSync(partial, target)
    fsyncDirectory(backupDirectory)
    return target
  } catch (error) {
    fs.rmSync(partial, { force: true })
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${partial}${suffix}`, { force: true })
    throw error
  }
}

function integrityProblems(connection: SqliteConnection): string[] {
  const rows = connection.prepare('pragma integrity_check').all() as Array<{ integrity_check: string }>
  const messages = rows.map((r) => r.integrity_check)
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages.slice(0, 5)
}

const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1')

function checkIsSqliteFile(file: string): void {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new BackupError(`${file} does not exist.`)
  }
  if (!stat.isFile()) throw new BackupError(`${file} is not a file.`)
  const header = Buffer.alloc(sqliteHeader.length)
  const fd = fs.openSync(file, 'r')
  try {
    fs.readSync(fd, header, 0, header.length, 0)
  } finally {
    fs.closeSync(fd)
  }
  if (!header.equals(sqliteHeader)) throw new BackupError(`${file} is not an SQLite database.`)
}

/**
 * Whether `file` is a PlaceReady database this release can run on: an SQLite file that
 * passes `pragma integrity_check`, with a migrations table and no migration this release
 * does not know (data from a newer release would be silently mis-read). Older backups are
 * fine: the app migrates them forward at start. Opens the file for writing (SQLite may need
 * to create its -shm beside a WAL-mode file), so it is only run on a private copy; it leaves
 * the file in rollback-journal mode, one self-contained file.
 */
function checkDatabaseCopy(file: string, knownMigrations: readonly string[], shownAs: string): string[] {
  let connection: SqliteConnection
  try {
    connection = openSqlite(file, { fileMustExist: true })
  } catch (error) {
    throw new BackupError(`${shownAs} cannot be opened as an SQLite database: ${(error as Error).message}`)
  }
  try {
    let problems: string[]
    try {
      problems = integrityProblems(connection)
    } catch (error) {
      problems = [(error as Error).message]
    }
    if (problems.length > 0) throw new BackupError(`${shownAs} is damaged (pragma integrity_check: ${problems.join('; ')}).`)
    const hasMigrations = connection.prepare("select 1 from sqlite_master where type = 'table' and name = 'knex_migrations'").all()
    if (hasMigrations.length === 0) {
      throw new BackupError(`${shownAs} is an SQLite database but not a PlaceReady one (it has no knex_migrations table).`)
    }
    const recorded = (connection.prepare('select name from knex_migrations order by id').all() as Array<{ name: string }>).map(
      (r) => r.name,
    )
    const known = new Set(knownMigrations)
    const unknown = recorded.filter((name) => !known.has(name))
    if (unknown.length > 0) {
      throw new BackupError(
        `${shownAs} comes from a newer PlaceReady: it has migrations this release does not know (${unknown.join(', ')}).`,
      )
    }
    connection.pragma('journal_mode = DELETE')
    return recorded
  } finally {
    connection.close()
  }
}

/**
 * True while any connection has the database open: PlaceReady (any instance or worker)
 * keeps one open for as long as it runs. Taking SQLite's exclusive lock without waiting
 * fails exactly then.
 */
export function isDatabaseInUse(databaseFile: string): boolean {
  if (!fs.existsSync(databaseFile)) return false
  let probe: SqliteConnection | undefined
  try {
    probe = openSqlite(databaseFile, { fileMustExist: true, timeout: 0 })
    probe.pragma('locking_mode = EXCLUSIVE')
    probe.exec('begin exclusive; commit')
    return false
  } catch (error) {
    const code = (error as { code?: string }).code ?? ''
    // A damaged live database cannot be locked either, but that is no sign of the app using it.
    return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
  } finally {
    probe?.close()
  }
}

export interface RestoreResult {
  /** Where the database that was replaced now lives (with its -wal and -shm, if any), or null if there was none. */
  previous: string | null
  /** Migrations recorded in the restored database, oldest first. */
  migrations: string[]
}

/**
 * Replaces `databaseFile` with the backup `backupFile`. Nothing changes unless the backup
 * checks out and no one has the database open. The backup is copied next to the database
 * and checked there (so the copy that goes live is the one that was checked); the current
 * database and its -wal/-shm are moved aside together (a stale WAL beside the restored file
 * would be replayed into it and corrupt it); then the copy is renamed into place, which
 * is atomic, so the database path never holds a half-written file.
 */
export function restoreSqlite(
  backupFile: string,
  databaseFile: string,
  knownMigrations: readonly string[],
  options: { now?: Date } = {},
): RestoreResult {
  const source = path.resolve(backupFile)
  const target = path.resolve(databaseFile)
  if (source === target) throw new BackupError('The backup to restore is the database itself.')
  checkIsSqliteFile(source)
  if (fs.existsSync(`${source}-wal`) && fs.statSync(`${source}-wal`).size > 0) {
    // Its latest changes are in that WAL file, which a restore of the one file would lose.
    throw new BackupError(
      `${source} has a -wal file beside it, so it is a live database rather than a backup: make one with npm run backup.`,
    )
  }

  const directory = path.dirname(target)
  fs.mkdirSync(directory, { recursive: true })
  const temporary = path.join(directory, `.${path.basename(target)}.restore-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    fs.copyFileSync(source, temporary)
    const migrations = checkDatabaseCopy(temporary, knownMigrations, source)
    fsyncFile(temporary)

    if (isDatabaseInUse(target)) {
      throw new BackupError(`${target} is in use: stop PlaceReady (every instance and worker) before restoring.`)
    }

    let previous: string | null = null
    if (fs.existsSync(target)) {
      const stamp = (options.now ?? new Date())
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, '')
      previous = unusedPath(directory, `${path.basename(target)}.before-restore-${stamp}`)
      // A hard link keeps the old file reachable while the rename below replaces the path in one step.
      try {
        fs.linkSync(target, previous)
      } catch {
        fs.copyFileSync(target, previous)
      }
      for (const suffix of ['-wal', '-shm', '-journal']) {
        if (fs.existsSync(`${target}${suffix}`)) fs.renameSync(`${target}${suffix}`, `${previous}${suffix}`)
      }
    }
    fs.renameSync(temporary, target)
    fsyncDirectory(directory)
    return { previous, migrations }
  } finally {
    fs.rmSync(temporary, { force: true })
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${temporary}${suffix}`, { force: true })
  }
}
