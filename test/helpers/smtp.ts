import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  to: string[]
  subject: string
  text: string
}

function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return Buffer.from(bytes, 'latin1').toString('utf8')
}

function decodeHeader(value: string): string {
  return value
    .replace(/=\?utf-8\?Q\?([^?]*)\?=/gi, (_m, text: string) => decodeQuotedPrintable(text.replace(/_/g, ' ')))
    .replace(/\?=\s+=\?/g, '')
}

export interface TestSmtpServer {
  url: string
  received: ReceivedMail[]
  /** While true, the server refuses every recipient with a temporary failure (451), as a mail server that is down would. */
  failing: boolean
  close(): Promise<void>
}

/** A real SMTP server on a free loopback port, keeping every message it receives. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = []
  const state = { failing: false }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (!state.failing) return callback()
      const error = Object.assign(new Error('Mailbox temporarily unavailable'), { responseCode: 451 })
      callback(error)
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        const [head = '', ...rest] = raw.split(/\r?\n\r?\n/)
        const unfolded = head.replace(/\r?\n[ \t]+/g, ' ')
        const subject = decodeHeader(/^Subject: (.*)$/im.exec(unfolded)?.[1] ?? '')
        const body = rest.join('\n\n')
        const text = /quoted-printable/i.test(head)
          ? decodeQuotedPrintable(body)
          : /base64/i.test(head)
            ? Buffer.from(body, 'base64').toString('utf8')
            : body
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, text })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    get failing() {
      return state.failing
    },
    set failing(value: boolean) {
      state.failing = value
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** Waits (briefly, by polling) for a mail to a given address, since delivery is asynchronous. */
export async function mailTo(received: ReceivedMail[], address: string, count = 1): Promise<ReceivedMail> {
  for (let i = 0; i < 100; i++) {
    const matching = received.filter((m) => m.to.includes(address))
    if (matching.length >= count) return matching[count - 1]!
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`No mail number ${count} to ${address}; received: ${received.map((m) => m.to.join(',')).join(' | ')}`)
}

export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s"<>]+?${path}/[A-Za-z0-9_-]+`).exec(text)
  if (!match) throw new Error(`No ${path} link in: ${text}`)
  return new URL(match[0]).pathname
}
