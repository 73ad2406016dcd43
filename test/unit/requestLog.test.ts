import { Writable } from 'node:stream'
import express from 'express'
import pino from 'pino'
import request from 'supertest'
import { redactedPaths } from '../../server/logger'
import { requestLog } from '../../server/middleware/requestLog'

interface LogLine {
  level: number
  msg: string
  req: { id: number; method: string; url: string }
  res: { statusCode: number }
  responseTime: number
}

function appLogging(lines: LogLine[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine)
      done()
    },
  })
  const app = express()
  app.use(requestLog(pino({ redact: { paths: redactedPaths, censor: '[redacted]' } }, sink)))
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }))
  app.get('/invitations/:token', (_req, res) => void res.send('invitation'))
  app.post('/rounds/2/organisations/5/domains/GV', (_req, res) => void res.status(409).json({ error: 'conflict' }))
  app.get('/broken', (_req, res) => void res.status(500).send('broken'))
  // Never answers: the client gives up first.
  app.get('/slow', () => undefined)
  return app
}

describe('the request log', () => {
  it('writes one line per request: method, path without link tokens, status, time, at a level rising with the status', async () => {
    const lines: LogLine[] = []
    const app = appLogging(lines)
    await request(app).get('/invitations/SECRET-token_123').set('Cookie', 'placeready.sid=s%3Asecret')
    await request(app).post('/rounds/2/organisations/5/domains/GV')
    await request(app).get('/broken')

    expect(lines.map((l) => [l.req.method, l.req.url, l.res.statusCode, l.level, l.msg])).toEqual([
      ['GET', '/invitations/[redacted]', 200, 30, 'request completed'],
      ['POST', '/rounds/2/organisations/5/domains/GV', 409, 40, 'request completed'],
      ['GET', '/broken', 500, 50, 'request completed'],
    ])
    expect(new Set(lines.map((l) => l.req.id)).size).toBe(3)
    expect(lines.every((l) => Number.isInteger(l.responseTime) && l.responseTime >= 0)).toBe(true)
    expect(JSON.stringify(lines)).not.toMatch(/SECRET|placeready\.sid/)
  })

  it('leaves out health checks, which load balancers poll every few seconds', async () => {
    const lines: LogLine[] = []
    await request(appLogging(lines)).get('/healthz')
    expect(lines).toEqual([])
  })

  it('logs a request the client gave up on as a warning, not a server error', async () => {
    const lines: LogLine[] = []
    await expect(request(appLogging(lines)).get('/slow').timeout(100)).rejects.toThrow()
    for (let tries = 0; lines.length === 0 && tries < 50; tries++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(lines.map((l) => [l.req.url, l.level, l.msg])).toEqual([['/slow', 40, 'request aborted']])
  })
})
