import type { RequestHandler } from 'express'
import { redactPath, type Logger } from '../logger'

/** Health checks are polled every few seconds by load balancers; a line each would drown the rest. */
const unlogged = new Set(['/healthz', '/readyz'])

/**
 * One short line per request when its response has been sent (or the client went away first):
 * method, path (with single-use tokens redacted), status and time taken, at a level that rises
 * with the status. No headers, so no cookies or tokens. Written directly, rather than through
 * a per-request child logger, because it runs on every autosave.
 */
export function requestLog(logger: Logger): RequestHandler {
  let lastId = 0
  return (req, res, next) => {
    if (unlogged.has(req.path)) return next()
    const started = performance.now()
    const id = ++lastId
    const done = (event: 'finish' | 'close') => {
      res.off('finish', onFinish)
      res.off('close', onClose)
      const aborted = event === 'close' && !res.writableFinished
      const statusCode = res.statusCode
      // A client that goes away first (a browser moving on before a favicon's 304 is written) is
      // worth a warning, not an error: nothing failed on the server's side.
      const level = statusCode >= 500 ? 'error' : aborted || statusCode >= 400 ? 'warn' : 'info'
      logger[level](
        {
          req: { id, method: req.method, url: redactPath(req.originalUrl), remoteAddress: req.ip },
          res: { statusCode },
          responseTime: Math.round(performance.now() - started),
        },
        aborted ? 'request aborted' : 'request completed',
      )
    }
    const onFinish = () => done('finish')
    const onClose = () => done('close')
    res.on('finish', onFinish)
    res.on('close', onClose)
    next()
  }
}
