import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { Database } from './db/connection'
import type { Logger } from './logger'
import type { Lifecycle } from './routes/health'

/**
 * Long enough for a slow report to finish, short enough to end before an orchestrator's
 * usual 30-second kill (Kubernetes, ECS, systemd's default is 90).
 */
export const defaultShutdownTimeoutMs = 25_000

export interface GracefulShutdownOptions {
  /** How long requests in flight may take before their connections are cut. */
  timeoutMs?: number
  /** Ends the process with the outcome; tests pass their own to keep jest alive. */
  exit?: (code: number) => void
  /** Signals that start the shutdown; none in tests, which call shutdown() themselves. */
  signals?: readonly NodeJS.Signals[]
  /**
   * Stops background work (the job scheduler) when the drain starts; awaited, alongside the
   * requests in flight, before the database closes.
   */
  stopBackgroundWork?: () => Promise<void>
}

export interface GracefulShutdown {
  /**
   * Starts draining (once: later calls return the same promise) and resolves with the exit
   * code: 0 when every request finished and the database closed cleanly, else 1.
   */
  shutdown(reason: string): Promise<number>
  /** Removes the signal handlers again. */
  uninstall(): void
}

/**
 * Wires an orderly stop to an HTTP server: /readyz turns 503 so a load balancer stops
 * routing here, the listening socket closes, idle keep-alive connections are closed,
 * requests already in flight run to completion and their responses are fully sent
 * (including ones pipelined behind them on the same connection), and only then is the
 * database pool closed and the process exited.
 */
export function installGracefulShutdown(
  server: Server,
  db: Database,
  lifecycle: Lifecycle,
  logger: Logger,
  options: GracefulShutdownOptions = {},
): GracefulShutdown {
  const timeoutMs = options.timeoutMs ?? defaultShutdownTimeoutMs
  const exit = options.exit ?? ((code: number) => process.exit(code))
  const signals = options.signals ?? ['SIGTERM', 'SIGINT']
  let finished: Promise<number> | undefined

  // Responses not yet flushed, per connection. Node's own idea of an idle connection is one
  // whose request has been read and whose response has been *ended*, even if most of the
  // response is still queued in memory, so its close() (which calls closeIdleConnections)
  // would truncate a large download or the pipelined responses queued behind it. We close
  // a connection only once every response on it has been handed to the operating system.
  const unflushed = new Map<Socket, number>()
  server.on('connection', (socket: Socket) => {
    unflushed.set(socket, 0)
    socket.once('close', () => unflushed.delete(socket))
  })
  server.on('request', (req, res) => {
    const socket = req.socket
    unflushed.set(socket, (unflushed.get(socket) ?? 0) + 1)
    // 'close' follows 'finish' (flushed), and also comes alone when the client goes away.
    res.once('close', () => {
      const left = (unflushed.get(socket) ?? 1) - 1
      unflushed.set(socket, left)
      if (lifecycle.draining && left === 0) socket.end()
    })
  })
  const closeIdleConnections = () => {
    for (const [socket, count] of unflushed) if (count === 0) socket.end()
  }
  server.closeIdleConnections = closeIdleConnections

  async function drain(reason: string): Promise<number> {
    lifecycle.draining = true
    logger.info({ reason, pid: process.pid }, 'Shutting down: accepting no new connections, finishing requests in flight')
    let code = 0
    let backgroundDone = false
    const backgroundStopped = (options.stopBackgroundWork?.() ?? Promise.resolve())
      .catch((error: unknown) => {
        logger.error({ err: error }, 'Stopping background work failed')
        code = 1
      })
      .then(() => {
        backgroundDone = true
      })
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    closeIdleConnections()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    if ((await Promise.race([closed.then(() => 'closed' as const), timedOut])) === 'timeout') {
      logger.warn({ timeoutMs }, 'Requests still in flight at the shutdown deadline: closing their connections')
      for (const socket of unflushed.keys()) socket.destroy()
      code = 1
      await closed
    }
    // A job still running at the deadline is cut off by closing the database under it.
    if (!backgroundDone) await Promise.race([backgroundStopped, timedOut])
    if (!backgroundDone) {
      logger.warn({ timeoutMs }, 'Background work still running at the shutdown deadline: closing the database under it')
      code = 1
    }
    clearTimeout(timer)
    try {
      await db.destroy()
    } catch (error) {
      logger.error({ err: error }, 'Closing the database failed')
      code = 1
    }
    logger.info({ code, pid: process.pid }, 'Shut down')
    return code
  }

  function shutdown(reason: string): Promise<number> {
    if (!finished) {
      finished = drain(reason)
      void finished.then(exit)
    }
    return finished
  }

  // A repeated signal (Ctrl-C twice, or the terminal's SIGINT plus a cluster primary's
  // SIGTERM) must not cut the drain short, so every signal just joins the one shutdown.
  const handlers = signals.map((signal) => {
    const handler = () => void shutdown(signal)
    process.on(signal, handler)
    return [signal, handler] as const
  })

  return {
    shutdown,
    uninstall() {
      for (const [signal, handler] of handlers) process.off(signal, handler)
    },
  }
}
