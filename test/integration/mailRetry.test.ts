import { maxDeliveryAttempts, retryDelaysMs } from '../../server/services/mailer'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn } from '../helpers/session'
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp'

/**
 * Mail that reached the outbox but that the mail server refused: tried again with back-off by
 * the retry job, and marked failed (for the ICS lead to see) after the last try.
 */
describe('retrying mail the mail server refused', () => {
  let smtp: TestSmtpServer
  let context: TestContext
  let icsId: number

  beforeEach(async () => {
    smtp = await startSmtpServer()
    context = await createTestContext({ demo: true, env: { SMTP_URL: smtp.url } })
    icsId = ((await context.db('ics').first('id')) as { id: number }).id
  })
  afterEach(async () => {
    await context.close()
    await smtp.close()
  })

  const outbox = async (to: string) =>
    (await context.db('outbox').where({ to_address: to }).first('attempts', 'sent_at', 'failed_at', 'next_attempt_at', 'last_error')) as {
      attempts: number
      sent_at: unknown
      failed_at: unknown
      next_attempt_at: unknown
      last_error: string | null
    }

  it('tries again after each back-off delay, then marks the mail failed after the last try and shows it failed', async () => {
    smtp.failing = true
    await context.services.mailer.send({ to: 'down@example.org', subject: 'Hello', text: 'Body', icsId })
    expect(await outbox('down@example.org')).toMatchObject({ attempts: 1, sent_at: null, failed_at: null })
    expect((await outbox('down@example.org')).last_error).toContain('451')

    for (const [i, delay] of retryDelaysMs.entries()) {
      // Not before the back-off has passed.
      context.clock.advance(delay - 1000)
      expect(await context.services.mailer.retryDue()).toEqual({ sent: 0, failed: 0 })
      context.clock.advance(1000)
      expect(await context.services.mailer.retryDue()).toEqual({ sent: 0, failed: 1 })
      expect((await outbox('down@example.org')).attempts).toBe(i + 2)
    }
    const last = await outbox('down@example.org')
    expect(last.attempts).toBe(maxDeliveryAttempts)
    expect(last.failed_at).not.toBeNull()
    expect(last.next_attempt_at).toBeNull()

    // Given up: never tried again, even once the server is back.
    smtp.failing = false
    context.clock.advance(24 * 60 * 60 * 1000)
    expect(await context.services.mailer.retryDue()).toEqual({ sent: 0, failed: 0 })
    expect(smtp.received).toEqual([])

    // The ICS lead sees it failed in the outbox.
    const lead = await signIn(context.app, 'ics.lead@example.org', testDemoPassword)
    const page = await lead.get('/admin/outbox')
    expect(page.text).toContain('1 e-mail could not be delivered')
    const failedOnly = await lead.get('/admin/outbox?failed=1')
    expect(failedOnly.text).toContain('down@example.org')
    expect(failedOnly.text).toMatch(/<strong class="nhsuk-tag nhsuk-tag--red">Failed<\/strong> after 5 tries/)
    const id = ((await context.db('outbox').where({ to_address: 'down@example.org' }).first('id')) as { id: number }).id
    expect((await lead.get(`/admin/outbox/${id}`)).text).toMatch(/Failed<\/strong> after 5 tries/)
  })

  it('delivers on a later try once the server is back, once, even with two instances retrying at the same moment', async () => {
    smtp.failing = true
    await context.services.mailer.send({ to: 'later@example.org', subject: 'Hello again', text: 'Body', icsId })
    expect((await outbox('later@example.org')).attempts).toBe(1)
    smtp.failing = false
    context.clock.advance(retryDelaysMs[0]!)
    const other = context.anotherInstanceWithServices()
    const results = await Promise.all([context.services.mailer.retryDue(), other.services.mailer.retryDue()])
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(1)
    expect(smtp.received.filter((m) => m.to.includes('later@example.org'))).toHaveLength(1)
    expect(await outbox('later@example.org')).toMatchObject({ attempts: 2, failed_at: null, last_error: null })
    expect((await outbox('later@example.org')).sent_at).not.toBeNull()
  })

  it('sends a mail whose process stopped between writing and sending it, once it has waited two minutes', async () => {
    const [id] = await context.services.mailer.enqueue(
      [{ to: 'orphan@example.org', subject: 'Left behind', text: 'Body', icsId }],
      context.db,
    )
    expect(id).toBeDefined()
    context.clock.advance(60 * 1000)
    expect(await context.services.mailer.retryDue()).toEqual({ sent: 0, failed: 0 })
    context.clock.advance(60 * 1000)
    expect(await context.services.mailer.retryDue()).toEqual({ sent: 1, failed: 0 })
    expect(smtp.received.map((m) => m.to)).toEqual([['orphan@example.org']])
  })
})
