import net from 'node:net'

/**
 * HTTP/1.1 at the socket level, for what clients like supertest hide: several requests
 * pipelined on one keep-alive connection, and a connection the server closes under us.
 */

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

export function rawRequest(path: string, options: { close?: boolean } = {}): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${options.close ? 'Connection: close\r\n' : ''}\r\n`
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * Reads responses off a socket as they arrive (bodies sized by Content-Length). `firstData`
 * resolves at the first byte received; `closed` resolves, once the server has closed the
 * connection, with every complete response in order.
 */
export class ResponseReader {
  readonly responses: RawResponse[] = []
  readonly firstData: Promise<void>
  readonly closed: Promise<RawResponse[]>
  private buffer: Buffer = Buffer.alloc(0)
  private current: { status: number; headers: Record<string, string>; length: number } | undefined

  constructor(socket: net.Socket) {
    let onFirst: () => void
    this.firstData = new Promise<void>((resolve) => (onFirst = resolve))
    socket.on('data', (chunk: Buffer) => {
      onFirst()
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
      this.parse()
    })
    this.closed = new Promise((resolve) => socket.on('close', () => resolve(this.responses)))
    socket.on('error', () => undefined)
  }

  private parse(): void {
    for (;;) {
      if (!this.current) {
        const end = this.buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n')
        const headers: Record<string, string> = {}
        for (const line of lines) {
          const colon = line.indexOf(':')
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        if (headers['content-length'] === undefined) throw new Error(`Response without Content-Length: ${statusLine}`)
        this.current = { status: Number(statusLine!.split(' ')[1]), headers, length: Number(headers['content-length']) }
        this.buffer = this.buffer.subarray(end + 4)
      }
      if (this.buffer.length < this.current.length) return
      this.responses.push({
        status: this.current.status,
        headers: this.current.headers,
        body: Buffer.from(this.buffer.subarray(0, this.current.length)),
      })
      this.buffer = this.buffer.subarray(this.current.length)
      this.current = undefined
    }
  }
}
