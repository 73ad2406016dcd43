import fs from 'node:fs'
import http from 'node:http'
import { createTestDatabase, type TestDatabase } from '../helpers/database'
import { connect, rawRequest, ResponseReader } from '../helpers/rawHttp'
import { isRunning, startServerProcess, type LogLine, type ServerProcess, killIfRunning } from '../helpers/serverProcess'

/** The real server process, started as `npm start` starts it, stopped with real signals. */

jest.setTimeout(60_000)

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      .on('error', reject)
  })
}

/**
 * More bytes of responses than the kernel's socket buffers at both ends can hold, so while
 * the client is not reading, some of them are still queued inside the server.
 */
function bytesBeyondSocketBuffers(): number {
  const maximum = (file: string, fallback: number) => {
    try {
      return Number(fs.readFileSync(file, 'utf8').trim().split(/\s+/).pop()) || fallback
    } catch {
      return fallback
    }
  }
  return maximum('/proc/sys/net/ipv4/tcp_rmem', 6 << 20) + maximum('/proc/sys/net/ipv4/tcp_wmem', 4 << 20)
}

describe('the server process', () => {
  let database: TestDatabase
  let server: ServerProcess | undefined

  beforeEach(async () => {
    database = await createTestDatabase({ migrate: false })
  })

  afterEach(async () => {
    await killIfRunning(server)
    server = undefined
    await database.destroy()
  })

  // /readyz answering 503 while draining is shown in shutdown.test.ts, where a request can be
  // held open for as long as the test needs.
  it('on SIGTERM stops taking connections, sends every response in flight in full, and exits 0', async () => {
    server = await startServerProcess(database)
    await server.waitForLog((line) => String(line.msg).startsWith('PlaceReady is listening'))
    const stylesheet = await get(server.port, '/assets/nhsuk-frontend.css')
    expect(stylesheet.status).toBe(200)
    const size = Buffer.byteLength(stylesheet.body)
    const count = Math.ceil(bytesBeyondSocketBuffers() / size) + 10

    // Requests pipelined on one connection and a client that stops reading: when the signal
    // arrives the server is part-way through sending, with more responses queued behind.
    const socket = await connect(server.port)
    const reader = new ResponseReader(socket)
    socket.write(rawRequest('/assets/nhsuk-frontend.css').repeat(count))
    await reader.firstData
    socket.pause()

    server.child.kill('SIGTERM')
    await server.waitForLog((line) => String(line.msg).startsWith('Shutting down'))
    await expect(get(server.port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    socket.resume()

    const responses = await reader.closed
    expect(responses.map((r) => r.status)).toEqual(Array<number>(count).fill(200))
    expect(responses.every((r) => r.body.length === size)).toBe(true)
    expect(await server.exited).toBe(0)
  })

  it('with WEB_CONCURRENCY=2 forks two workers, replaces one that dies, and stops them all on SIGTERM', async () => {
    server = await startServerProcess(database, { WEB_CONCURRENCY: '2' })
    const s = server
    const started = await s.waitForLog((line) => line.msg === 'Starting workers')
    const primary = started.primary as number
    const listening = (line: LogLine) => line.msg === 'Worker listening'
    const first = (await s.waitForLog(listening)).worker as number
    const second = (await s.waitForLog((line) => listening(line) && line.worker !== first)).worker as number
    for (const pid of [first, second]) {
      expect(pid).not.toBe(primary)
      expect(isRunning(pid)).toBe(true)
    }
    expect(await get(s.port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' })

    process.kill(first, 'SIGKILL')
    await s.waitForLog((line) => line.msg === 'Worker died unexpectedly: starting a replacement' && line.worker === first)
    const replacement = (await s.waitForLog((line) => listening(line) && line.worker !== first && line.worker !== second)).worker as number
    expect(isRunning(replacement)).toBe(true)
    expect(await get(s.port, '/readyz')).toMatchObject({ status: 200 })

    s.child.kill('SIGTERM')
    expect(await s.exited).toBe(0)
    expect(s.logs.filter((line) => line.msg === 'Worker stopped').map((line) => [line.worker, line.code])).toEqual(
      expect.arrayContaining([
        [second, 0],
        [replacement, 0],
      ]),
    )
    for (const pid of [first, second, replacement, primary]) expect(isRunning(pid)).toBe(false)
  })
})
