import pino, { type Logger } from 'pino'

/** Anything that could carry a secret is redacted before it reaches a log line. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  'body.password',
  'body._csrf',
]

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'placeready' },
    },
    // Written without holding up the request that logged (lines arriving meanwhile go out
    // together); pino flushes what is left when the process exits, process.exit included.
    pino.destination({ dest: 1, sync: false }),
  )
}

export type { Logger }

/** Links in e-mails carry single-use tokens in their path; a log line never shows one. */
export function redactPath(url: string): string {
  return url.replace(/\/(invitations|reset-password)\/[^/?#]+/g, '/$1/[redacted]')
}
