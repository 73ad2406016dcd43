import type { CurrentUser } from '../../server/auth/types'
import { timestamp, toDate } from '../../server/db/values'
import { formatDateTime } from '../../server/views/helpers'
import { createTestContext, type TestContext } from '../helpers/app'
import { mailTo, startSmtpServer } from '../helpers/smtp'
import { addPartner, addUser } from '../helpers/users'

const dayMs = 24 * 60 * 60 * 1000
const now = new Date('2026-11-22T10:00:00Z')

interface Setup {
  context: TestContext
  icsLead: CurrentUser
  roundId: number
  deadline: Date
  councilId: number
  healthwatchId: number
  submittedId: number
}

/**
 * The demo ICS, whose open round closes on 13 December 2026 at 17:00. Wirral Council (the
 * demo partner, 7 of 16 answered) and Healthwatch Wirral (not started, two partners) have not
 * submitted; a third Wirral organisation has, and has a partner too. A deactivated partner and
 * the place lead must never be reminded; no other organisation has a partner user.
 */
async function setUp(env: Record<string, string> = {}): Promise<Setup> {
  const context = await createTestContext({ demo: true, now, env })
  const round = (await context.db('rounds').orderBy('id', 'desc').first('id', 'closes_at')) as { id: number; closes_at: unknown }
  const idOf = async (name: string) => ((await context.db('organisations').where({ name }).first('id')) as { id: number }).id
  const councilId = await idOf('Wirral Council')
  const healthwatchId = await idOf('Healthwatch Wirral')
  const submitted = (await context
    .db('responses as r')
    .join('organisations as o', 'o.id', 'r.organisation_id')
    .join('places as p', 'p.id', 'o.place_id')
    .where({ 'r.round_id': round.id, 'r.status': 'submitted', 'p.slug': 'wirral' })
    .orderBy('o.id')
    .first('o.id', 'o.name')) as { id: number; name: string }
  await addPartner(context, 'hana@healthwatch.example', 'Healthwatch Wirral', 'Hana Patel')
  await addPartner(context, 'chris@healthwatch.example', 'Healthwatch Wirral', 'Chris Okoro')
  const gone = await addPartner(context, 'gone@healthwatch.example', 'Healthwatch Wirral', 'Former Partner')
  await context
    .db('users')
    .where({ id: gone })
    .update({ is_active: false, deactivated_at: timestamp(now) })
  await addPartner(context, 'done@submitted.example', submitted.name, 'Dana Done')
  const wirral = (await context.db('places').where({ slug: 'wirral' }).first('id', 'ics_id')) as { id: number; ics_id: number }
  await addUser(context, 'lead@wirral.example', { role: 'place_lead', ics_id: wirral.ics_id, place_id: wirral.id })
  const deadline = toDate(round.closes_at)
  expect(deadline).toEqual(new Date('2026-12-13T17:00:00Z'))
  const icsLeadId = ((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }).id
  return {
    context,
    icsLead: (await context.services.accounts.currentUser(icsLeadId))!,
    roundId: round.id,
    deadline,
    councilId,
    healthwatchId,
    submittedId: submitted.id,
  }
}

async function reminderMails(context: TestContext) {
  return (await context
    .db('outbox')
    .where((q) => {
      q.where('subject', 'like', 'Reminder:%').orWhere('subject', 'like', 'Final reminder:%')
    })
    .orderBy('id')
    .select('to_address', 'subject', 'text_body', 'ics_id', 'sent_at')) as Array<{
    to_address: string
    subject: string
    text_body: string
    ics_id: number
    sent_at: unknown
  }>
}

/** The reminders logged since the test began (the demo's own, sent earlier, left out). */
async function reminderLog(context: TestContext) {
  return (await context
    .db('reminder_log')
    .where('sent_at', '>=', timestamp(now))
    .orderBy(['id'])
    .select('organisation_id', 'kind', 'days_before', 'deadline', 'recipients', 'sent_by')) as Array<{
    organisation_id: number
    kind: string
    days_before: number | null
    deadline: unknown
    recipients: number
    sent_by: number | null
  }>
}

describe('deadline reminders', () => {
  let setup: Setup
  afterEach(async () => {
    await setup.context.close()
  })

  it('go 7, 3 and 1 days before the deadline, once each, to every active partner of each organisation that has not submitted', async () => {
    setup = await setUp()
    const { context, roundId, deadline, councilId, healthwatchId } = setup
    // Eight days before: too early.
    context.clock.set(new Date(deadline.getTime() - 8 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
    expect(await reminderMails(context)).toEqual([])

    // Seven days before: the first reminder.
    context.clock.set(new Date(deadline.getTime() - 7 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 2, mails: 3 })
    const first = await reminderMails(context)
    expect(first.map((m) => m.to_address).sort()).toEqual([
      'chris@healthwatch.example',
      'hana@healthwatch.example',
      'partner.wirral.council@example.org',
    ])
    const council = first.find((m) => m.to_address === 'partner.wirral.council@example.org')!
    const roundTitle = ((await context.db('rounds').where({ id: roundId }).first('title')) as { title: string }).title
    const icsId = ((await context.db('rounds').where({ id: roundId }).first('ics_id')) as { ics_id: number }).ics_id
    expect(council.subject).toBe(`Reminder: Wirral Council self-assessment due by ${formatDateTime(deadline)}`)
    expect(formatDateTime(deadline)).toBe('13 December 2026 at 17:00')
    expect(council.ics_id).toBe(icsId)
    expect(council.text_body).toContain('Dear Sam Taylor,')
    expect(council.text_body).toContain(`Wirral Council has not yet submitted its self-assessment for "${roundTitle}" (Wirral).`)
    expect(council.text_body).toContain('The deadline is 13 December 2026 at 17:00.')
    expect(council.text_body).toContain('Progress so far: 7 of 16 answered.')
    expect(council.text_body).toContain(`${context.config.baseUrl}/rounds/${roundId}/organisations/${councilId}\n`)
    const hana = first.find((m) => m.to_address === 'hana@healthwatch.example')!
    expect(hana.text_body).toContain('Dear Hana Patel,')
    expect(hana.text_body).toContain('Progress so far: 0 of 16 answered.')
    expect(hana.text_body).toContain(`/rounds/${roundId}/organisations/${healthwatchId}\n`)
    const logged = await reminderLog(context)
    expect(logged.map((l) => [l.organisation_id, l.kind, l.days_before, l.recipients, toDate(l.deadline).toISOString()])).toEqual([
      [councilId, 'scheduled', 7, 1, deadline.toISOString()],
      [healthwatchId, 'scheduled', 7, 2, deadline.toISOString()],
    ])

    // Later the same day, and days later before the 3-day mark: nothing new.
    context.clock.advance(60 * 60 * 1000)
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
    context.clock.set(new Date(deadline.getTime() - 4 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
    expect(await reminderMails(context)).toHaveLength(3)

    // Three days before: the second reminder.
    context.clock.set(new Date(deadline.getTime() - 3 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 2, mails: 3 })
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })

    // Wirral Council submits in the meantime: only Healthwatch hears again.
    await context
      .db('responses')
      .where({ round_id: roundId, organisation_id: councilId })
      .update({ status: 'submitted', submitted_at: timestamp(context.clock.now()), reference: 'PR-TEST' })

    // One day before: the final reminder.
    context.clock.set(new Date(deadline.getTime() - dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 1, mails: 2 })
    const final = (await reminderMails(context)).slice(6)
    expect(final.map((m) => m.to_address).sort()).toEqual(['chris@healthwatch.example', 'hana@healthwatch.example'])
    expect(final[0]!.subject).toBe(`Final reminder: Healthwatch Wirral self-assessment due by ${formatDateTime(deadline)}`)
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })

    // After the deadline: the round is closed, nothing goes.
    context.clock.set(new Date(deadline.getTime() + 60_000))
    await context.db('reminder_log').delete()
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
    expect(await reminderMails(context)).toHaveLength(8)
  })

  it('follow an extension: they count from the new deadline, and each goes once however many instances run the job', async () => {
    setup = await setUp()
    const { context, icsLead, roundId, deadline, councilId, healthwatchId } = setup
    const other = context.anotherInstanceWithServices()

    // The 7-day reminder for the original deadline goes.
    context.clock.set(new Date(deadline.getTime() - 7 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 2, mails: 3 })

    // Extended by two weeks: a week before the original deadline is three weeks before the new one.
    const extended = new Date(deadline.getTime() + 14 * dayMs)
    context.clock.set(new Date(deadline.getTime() - 6 * dayMs))
    await context.services.rounds.extend({ user: icsLead, ip: undefined }, roundId, {
      until: extended,
      reason: 'Partners asked for more time',
    })
    // At the original deadline's 3-day and 1-day marks nothing goes: the round now ends later.
    for (const before of [3, 1]) {
      context.clock.set(new Date(deadline.getTime() - before * dayMs))
      expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
      expect(await other.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
    }
    // Past the original deadline the round is still open: seven days before the new deadline, its first reminder.
    context.clock.set(new Date(extended.getTime() - 7 * dayMs))
    const both = [await context.services.reminders.run(), await other.services.reminders.run()]
    expect(both.reduce((sum, r) => sum + r.mails, 0)).toBe(3)
    const mails = await reminderMails(context)
    expect(mails).toHaveLength(6)
    expect(mails.slice(3).every((m) => m.text_body.includes(`The deadline is ${formatDateTime(extended)}.`))).toBe(true)
    const logged = await reminderLog(context)
    expect(logged.map((l) => [l.organisation_id, l.days_before, toDate(l.deadline).toISOString()])).toEqual([
      [councilId, 7, deadline.toISOString()],
      [healthwatchId, 7, deadline.toISOString()],
      [councilId, 7, extended.toISOString()],
      [healthwatchId, 7, extended.toISOString()],
    ])

    // Twelve hours before the new deadline, with the 3-day reminder never sent: only the final one goes, once.
    context.clock.set(new Date(extended.getTime() - 12 * 60 * 60 * 1000))
    const final = [await other.services.reminders.run(), await context.services.reminders.run()]
    expect(final).toEqual([
      { organisations: 2, mails: 3 },
      { organisations: 0, mails: 0 },
    ])
    expect((await reminderMails(context)).slice(6).every((m) => m.subject.startsWith('Final reminder:'))).toBe(true)
    expect((await reminderLog(context)).slice(4).map((l) => l.days_before)).toEqual([1, 1])
  })

  it('follow the round’s own reminder days, and leave out a round closed early', async () => {
    setup = await setUp()
    const { context, icsLead, roundId, deadline } = setup
    await context.services.rounds.setReminderDays({ user: icsLead, ip: undefined }, roundId, [10, 2])
    context.clock.set(new Date(deadline.getTime() - 7 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 2, mails: 3 })
    expect((await reminderLog(context)).map((l) => l.days_before)).toEqual([10, 10])
    context.clock.set(new Date(deadline.getTime() - 3 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })

    await context.services.rounds.close({ user: icsLead, ip: undefined }, roundId, { reason: 'Every place has what it needs' })
    context.clock.set(new Date(deadline.getTime() - 2 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })
  })

  it('remind now: one organisation, one place or the whole round, logged with who sent them, leaving out a retired organisation', async () => {
    setup = await setUp()
    const { context, icsLead, roundId, councilId, healthwatchId } = setup
    const wirralId = ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id

    expect(await context.services.rounds.remindNow({ user: icsLead, ip: '203.0.113.9' }, roundId, { organisationId: councilId })).toEqual({
      organisations: 1,
      mails: 1,
      withoutRecipients: 0,
    })
    // Again at once: "remind now" always sends.
    expect((await context.services.rounds.remindNow({ user: icsLead, ip: undefined }, roundId, { organisationId: councilId })).mails).toBe(
      1,
    )
    const place = await context.services.rounds.remindNow({ user: icsLead, ip: undefined }, roundId, { placeId: wirralId })
    // Wirral Council and Healthwatch have partners; Wirral's other unsubmitted organisations have nobody to remind.
    expect(place).toMatchObject({ organisations: 2, mails: 3 })
    expect(place.withoutRecipients).toBeGreaterThan(0)
    expect((await reminderLog(context)).map((l) => [l.organisation_id, l.kind, l.days_before, l.sent_by])).toEqual([
      [councilId, 'manual', null, icsLead.id],
      [councilId, 'manual', null, icsLead.id],
      [councilId, 'manual', null, icsLead.id],
      [healthwatchId, 'manual', null, icsLead.id],
    ])
    const audit = (await context.db('audit_events').where({ kind: 'reminder.sent-now' }).orderBy('id').select('details', 'ip')) as Array<{
      details: string
      ip: string | null
    }>
    expect(audit).toHaveLength(3)
    expect(JSON.parse(audit[0]!.details)).toMatchObject({ organisationId: councilId, organisations: 1, mails: 1 })
    expect(audit[0]!.ip).toBe('203.0.113.9')

    // A retired organisation that has not answered is left out of the round, so of its reminders too.
    await context
      .db('organisations')
      .where({ id: healthwatchId })
      .update({ retired_at: timestamp(context.clock.now()) })
    const all = await context.services.rounds.remindNow({ user: icsLead, ip: undefined }, roundId, {})
    expect(all.mails).toBe(1)
    // The council's log: the two reminders to it alone, the place's and the round's.
    expect(
      (await context.services.reminders.log(councilId)).filter((l) => l.sentAt >= now).map((l) => [l.kind, l.sentByName, l.roundId]),
    ).toEqual(Array.from({ length: 4 }, () => ['manual', icsLead.name, roundId]))
  })

  it('counts "not sure yet" as answered and leaves out rounds that have not opened', async () => {
    setup = await setUp()
    const { context, roundId, deadline, councilId } = setup
    const response = (await context.db('responses').where({ round_id: roundId, organisation_id: councilId }).first('id')) as { id: number }
    const answered = (await context.db('answers').where({ response_id: response.id }).orderBy('id').select('id', 'level')) as Array<{
      id: number
      level: number | null
    }>
    expect(answered).toHaveLength(7)
    await context.db('answers').where({ id: answered[0]!.id }).update({ level: null, not_sure: true })
    await context.db('answers').where({ id: answered[1]!.id }).update({ level: null, not_sure: false })

    // A round whose deadline is near but which has not opened yet is left alone.
    await context
      .db('rounds')
      .where({ id: roundId })
      .update({ opens_at: timestamp(new Date(deadline.getTime() - 3 * dayMs)) })
    context.clock.set(new Date(deadline.getTime() - 5 * dayMs))
    expect(await context.services.reminders.run()).toEqual({ organisations: 0, mails: 0 })

    context.clock.set(new Date(deadline.getTime() - 2 * dayMs))
    await context.services.reminders.run()
    const council = (await reminderMails(context)).find((m) => m.to_address === 'partner.wirral.council@example.org')!
    expect(council.text_body).toContain('Progress so far: 6 of 16 answered.')
  })

  it('aggregates in SQL: the number of queries does not grow with the number of organisations reminded', async () => {
    setup = await setUp()
    const { context, deadline } = setup
    const organisations = (await context
      .db('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .whereNot('p.slug', 'wirral')
      .select('o.name')) as Array<{ name: string }>
    for (const [i, o] of organisations.entries()) await addPartner(context, `partner${i}@load.example`, o.name)
    const due = (await context
      .db('organisations as o')
      .join('round_places as rp', 'rp.place_id', 'o.place_id')
      .leftJoin('responses as r', (j) => j.on('r.round_id', 'rp.round_id').andOn('r.organisation_id', 'o.id'))
      .where('rp.round_id', setup.roundId)
      // The demo's retired organisation (merged in 2021) takes no part in the round.
      .whereNull('o.retired_at')
      .where((q) => {
        q.whereNull('r.id').orWhere('r.status', '<>', 'submitted')
      })
      .whereExists((q) => {
        q.select('m.id').from('memberships as m').whereRaw('m.organisation_id = o.id').where('m.role', 'partner')
      })
      .countDistinct({ n: 'o.id' })
      .first()) as { n: unknown }
    expect(Number(due.n)).toBeGreaterThan(10)

    const queries: string[] = []
    const onQuery = (q: { sql: string }) => queries.push(q.sql)
    context.db.on('query', onQuery)
    context.clock.set(new Date(deadline.getTime() - 7 * dayMs))
    const result = await context.services.reminders.run()
    context.db.off('query', onQuery)
    expect(result.organisations).toBe(Number(due.n))
    // Three reads (the open rounds, the organisations due, their partners), then one transaction: record the reminders, queue the mails.
    expect(queries.filter((sql) => /^\s*select/i.test(sql))).toHaveLength(3)
    expect(queries.filter((sql) => /^\s*insert/i.test(sql))).toHaveLength(2)
  })

  it('delivers reminders over SMTP once the transaction has committed', async () => {
    const smtp = await startSmtpServer()
    try {
      setup = await setUp({ SMTP_URL: smtp.url })
      const { context, deadline } = setup
      context.clock.set(new Date(deadline.getTime() - 3 * dayMs))
      expect(await context.services.reminders.run()).toEqual({ organisations: 2, mails: 3 })
      const mail = await mailTo(smtp.received, 'hana@healthwatch.example')
      expect(mail.subject).toBe(`Reminder: Healthwatch Wirral self-assessment due by ${formatDateTime(deadline)}`)
      expect(mail.text).toContain('Progress so far: 0 of 16 answered.')
      expect((await reminderMails(context)).every((m) => m.sent_at !== null)).toBe(true)
    } finally {
      await smtp.close()
    }
  })
})
