import http from 'node:http'
import type net from 'node:net'
import { installGracefulShutdown } from '../../server/lifecycle'
import { createLogger } from '../../server/logger'
import { createTestContext, type TestContext } from '../helpers/app'
import { connect, rawRequest, ResponseReader } from '../helpers/rawHttp'

/**
 * installGracefulShutdown on a real HTTP server in front of the real app and database. One
 * extra route, /held, stands for a slow request: it does not answer until the test says so,
 * and then reads the database, as a real request would.
 */
describe('graceful shutdown', () => {
  let context: TestContext
  let server: http.Server
  let port: number
  let entered: Promise<void>
  let release: () => void
  const sockets: net.Socket[] = []

  beforeEach(async () => {
    context = await createTestContext()
    let onEntered: () => void
    entered = new Promise<void>((resolve) => (onEntered = resolve))
    const released = new Promise<void>((resolve) => (release = resolve))
    server = http.createServer((req, res) => {
      if (req.url !== '/held') return void context.app(req, res)
      onEntered()
      void released.then(async () => {
        const versions = await context.db('framework_versions').count({ n: '*' }).first()
        res.end(`framework versions: ${Number(versions?.n)}`)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })

  afterEach(async () => {
    for (const socket of sockets) socket.destroy()
    sockets.length = 0
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await context.close()
  })

  async function open(): Promise<net.Socket> {
    const socket = await connect(port)
    sockets.push(socket)
    return socket
  }

  it('stops accepting, finishes requests in flight with the database still open, answers /readyz 503 meanwhile, then exits 0', async () => {
    const exits: number[] = []
    const graceful = installGracefulShutdown(server, context.db, context.lifecycle, createLogger('silent'), {
      signals: [],
      exit: (code) => exits.push(code),
    })

    // A keep-alive connection that has finished its request: it must not hold the shutdown up.
    const idle = await open()
    const idleReader = new ResponseReader(idle)
    idle.write(rawRequest('/healthz'))
    await idleReader.firstData

    const busy = await open()
    const busyReader = new ResponseReader(busy)
    busy.write(rawRequest('/held'))
    await entered

    const outcome = graceful.shutdown('test')
    expect(context.lifecycle.draining).toBe(true)
    // The listening socket is closed, but a load balancer's health check on a connection
    // that is still open learns that this instance is going away.
    busy.write(rawRequest('/readyz', { close: true }))
    await idleReader.closed
    expect(idleReader.responses.map((r) => r.status)).toEqual([200])
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    expect(exits).toEqual([])

    release()
    const responses = await busyReader.closed
    expect(responses.map((r) => r.status)).toEqual([200, 503])
    expect(responses[0]!.body.toString()).toMatch(/^framework versions: [1-9]/)
    expect(JSON.parse(responses[1]!.body.toString())).toEqual({ status: 'draining' })

    expect(await outcome).toBe(0)
    expect(exits).toEqual([0])
    await expect(context.db.raw('select 1')).rejects.toThrow()
  })

  it('joins a second shutdown to the first instead of starting another', async () => {
    const exits: number[] = []
    const graceful = installGracefulShutdown(server, context.db, context.lifecycle, createLogger('silent'), {
      signals: [],
      exit: (code) => exits.push(code),
    })
    const first = graceful.shutdown('SIGINT')
    const second = graceful.shutdown('SIGTERM')
    expect(second).toBe(first)
    expect(await first).toBe(0)
    expect(exits).toEqual([0])
  })

  it('cuts connections still busy at the deadline and exits 1', async () => {
    const exits: number[] = []
    const graceful = installGracefulShutdown(server, context.db, context.lifecycle, createLogger('silent'), {
      signals: [],
      timeoutMs: 200,
      exit: (code) => exits.push(code),
    })
    const busy = await open()
    const reader = new ResponseReader(busy)
    busy.write(rawRequest('/held'))
    await entered

    expect(await graceful.shutdown('test')).toBe(1)
    expect(exits).toEqual([1])
    expect(await reader.closed).toEqual([])
  })
})
