import cluster, { type Worker } from 'node:cluster'
import type { Logger } from './logger'

export interface ClusterPrimaryOptions {
  workers: number
  logger: Logger
  /** How long workers may take to drain before they are killed; a little over theirs. */
  stopTimeoutMs: number
  exit?: (code: number) => void
}

/** Workers dying faster than this mean something is wrong with every start (a port in use, a bad deploy), not one bad request. */
const crashWindowMs = 60_000

/**
 * The primary of a WEB_CONCURRENCY > 1 start. It holds no database connection and serves no
 * request: it forks the workers (which share the listening port through node:cluster),
 * replaces any that die unexpectedly, and on SIGTERM/SIGINT asks every worker to drain and
 * exits once they all have.
 */
export function runClusterPrimary(options: ClusterPrimaryOptions): void {
  const { logger } = options
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const maxRestartsInWindow = Math.max(5, options.workers * 3)
  const recentRestarts: number[] = []
  let stopping = false
  let exitCode = 0
  let killTimer: NodeJS.Timeout | undefined

  // Workers re-run this same entry point with the primary's node flags, which under
  // `tsx server/main.ts` include tsx's loader: that is what lets them load TypeScript too.
  cluster.setupPrimary({ execArgv: process.execArgv })

  // A worker that has exited can stay listed until its IPC channel closes too.
  const liveWorkers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead())

  const fork = (): void => {
    cluster.fork()
  }

  cluster.on('listening', (worker, address) => {
    logger.info({ worker: worker.process.pid, port: address.port }, 'Worker listening')
  })

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (code !== 0) exitCode = 1
      logger.info({ worker: worker.process.pid, code, signal }, 'Worker stopped')
      if (liveWorkers().length === 0) {
        clearTimeout(killTimer)
        logger.info({ code: exitCode }, 'All workers stopped')
        exit(exitCode)
      }
      return
    }
    const now = Date.now()
    while (recentRestarts.length > 0 && now - recentRestarts[0]! > crashWindowMs) recentRestarts.shift()
    if (recentRestarts.length >= maxRestartsInWindow) {
      logger.fatal({ worker: worker.process.pid, code, signal, restarts: recentRestarts.length }, 'Workers keep dying: giving up')
      stop('crash loop', 1)
      return
    }
    recentRestarts.push(now)
    logger.error({ worker: worker.process.pid, code, signal }, 'Worker died unexpectedly: starting a replacement')
    fork()
  })

  function stop(reason: string, code: number): void {
    if (stopping) return
    stopping = true
    exitCode = code
    const workers = liveWorkers()
    logger.info({ reason, workers: workers.length }, 'Stopping: asking every worker to finish its requests')
    if (workers.length === 0) {
      exit(exitCode)
      return
    }
    // Each worker runs the same graceful shutdown as a single process on SIGTERM.
    for (const worker of workers) worker.process.kill('SIGTERM')
    killTimer = setTimeout(() => {
      for (const worker of liveWorkers()) {
        logger.warn({ worker: worker.process.pid }, 'Worker did not stop in time: killing it')
        worker.process.kill('SIGKILL')
      }
    }, options.stopTimeoutMs)
  }

  process.on('SIGTERM', () => stop('SIGTERM', 0))
  process.on('SIGINT', () => stop('SIGINT', 0))

  logger.info({ primary: process.pid, workers: options.workers }, 'Starting workers')
  for (let i = 0; i < options.workers; i++) fork()
}
