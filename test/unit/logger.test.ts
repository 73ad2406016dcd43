import { Writable } from 'node:stream'
import pino from 'pino'
import { redactedPaths, redactPath } from '../../server/logger'

describe('logging', () => {
  it('never shows a single-use token from a link in a path', () => {
    expect(redactPath('/invitations/abc_DEF-123')).toBe('/invitations/[redacted]')
    expect(redactPath('/reset-password/abc123?x=1')).toBe('/reset-password/[redacted]?x=1')
    expect(redactPath('/rounds/2/organisations/5')).toBe('/rounds/2/organisations/5')
  })

  it('redacts passwords, tokens and cookies wherever they are logged', () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString())
        done()
      },
    })
    const logger = pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink)
    logger.info(
      {
        password: 'hunter2-secret',
        body: { password: 'p', _csrf: 'c' },
        req: { headers: { cookie: 'placeready.sid=s', authorization: 'Bearer t' } },
      },
      'x',
    )
    expect(lines.join('')).not.toMatch(/hunter2-secret|placeready\.sid=s|Bearer t|"_csrf":"c"/)
  })
})
