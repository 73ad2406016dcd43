import { createToken } from '../auth/tokens'
import type { Database } from '../db/connection'
import { timestamp } from '../db/values'
import { FrameworkService, defaultFrameworkSlug } from '../services/frameworkService'
import { invitationLifetimeMs } from '../services/invitationService'
import { londonDateOf, londonTime } from '../time/london'
import { demoIcs } from './demoData'

const dayMs = 24 * 60 * 60 * 1000

/** The demo's next round: set up early, copied from the current one, opening in six weeks. */
export const upcomingRoundTitle = (opens: Date) =>
  `Place development self-assessment, ${opens.toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'Europe/London' })} (next round)`

/** A partner organisation of Warrington that merged before the baseline: retired, in no round. */
const retiredOrganisation = {
  place: 'warrington',
  name: 'Warrington Wellbeing Network',
  kind: 'vcse',
  retiredAt: '2021-09-01T09:00:00.000Z',
}

/** Contacts added by the demo's CSV import, whose invitations are still waiting. */
const importedContacts = [
  { organisation: 'Knowsley Community and Voluntary Services', name: 'Morgan Price', email: 'morgan.price@knowsley-cvs.example.org' },
  { organisation: 'Healthwatch Knowsley', name: 'Ruth Okafor', email: 'ruth.okafor@healthwatch-knowsley.example.org' },
  { organisation: 'Knowsley primary care networks', name: 'Dev Patel', email: 'dev.patel@knowsley-pcns.example.org' },
]

/**
 * What an ICS lead running rounds leaves behind, for the demo to show it: the next round set up
 * early (upcoming, copied from the current one with its open development actions), a retired
 * partner organisation, a CSV import done (its contacts still to accept), reminders sent in both
 * rounds, and a framework draft of the ICS's own. Each part is added once.
 */
export async function seedAdministration(db: Database, now: Date): Promise<void> {
  const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number } | undefined
  const lead = (await db('users').where({ email: 'ics.lead@example.org' }).first('id', 'name')) as { id: number; name: string } | undefined
  if (!ics || !lead) return
  const rounds = (await db('rounds')
    .where({ ics_id: ics.id })
    .orderBy('opens_at')
    .select('id', 'title', 'framework_version_id', 'closes_at')) as Array<{
    id: number
    title: string
    framework_version_id: number
    closes_at: string
  }>
  const [baseline, current] = rounds
  if (!baseline || !current) return
  const created = timestamp(now)

  // The retired organisation.
  if (!(await db('organisations').where({ name: retiredOrganisation.name }).first('id'))) {
    const place = (await db('places').where({ ics_id: ics.id, slug: retiredOrganisation.place }).first('id')) as { id: number }
    await db('organisations').insert({
      place_id: place.id,
      name: retiredOrganisation.name,
      kind: retiredOrganisation.kind,
      created_at: '2021-01-15T09:00:00.000Z',
      retired_at: retiredOrganisation.retiredAt,
    })
  }

  // The next round, upcoming: opens in six weeks at 09:00 and closes four weeks later at 17:00, London time.
  if (rounds.length < 3) {
    const opens = londonTime(londonDateOf(new Date(now.getTime() + 42 * dayMs)), 9)
    const closes = londonTime(londonDateOf(new Date(now.getTime() + 70 * dayMs)), 17)
    await db.transaction(async (trx) => {
      const [row] = (await trx('rounds').insert(
        {
          ics_id: ics.id,
          framework_version_id: current.framework_version_id,
          title: upcomingRoundTitle(opens),
          opens_at: timestamp(opens),
          closes_at: timestamp(closes),
          reminder_days: '7,3,1',
          copied_from_round_id: current.id,
          created_by: lead.id,
          created_at: created,
        },
        ['id'],
      )) as Array<{ id: number }>
      const roundId = row!.id
      const placeIds = (await trx('round_places').where({ round_id: current.id }).pluck('place_id')) as number[]
      await trx('round_places').insert(placeIds.map((placeId) => ({ round_id: roundId, place_id: placeId })))
      const open = (await trx('development_actions').whereIn('place_id', placeIds).whereNot('status', 'done').pluck('id')) as number[]
      if (open.length > 0) await trx('round_carried_actions').insert(open.map((actionId) => ({ round_id: roundId, action_id: actionId })))
      await trx('audit_events').insert({
        occurred_at: created,
        actor_user_id: lead.id,
        ics_id: ics.id,
        kind: 'round.created',
        subject_type: 'round',
        subject_id: String(roundId),
        details: JSON.stringify({ copiedFrom: current.id, carriedActions: open.length, places: placeIds.length, demo: true }),
      })
    })
  }

  // A CSV import that invited three Knowsley contacts, who have not accepted yet.
  if (!(await db('import_jobs').where({ ics_id: ics.id }).first('id'))) {
    const importedAt = new Date(now.getTime() - 5 * dayMs)
    const knowsley = (await db('places').where({ ics_id: ics.id, slug: 'knowsley' }).first('id', 'name')) as { id: number; name: string }
    const csv = [
      'Place,Organisation,Organisation type,Contact name,Contact email',
      ...importedContacts.map((c) => `${knowsley.name},${c.organisation},,${c.name},${c.email}`),
    ].join('\r\n')
    await db.transaction(async (trx) => {
      const counts = { rows: importedContacts.length, places: 0, organisations: 0, contacts: importedContacts.length }
      const [job] = (await trx('import_jobs').insert(
        {
          ics_id: ics.id,
          created_by: lead.id,
          filename: 'knowsley-contacts.csv',
          status: 'imported',
          content: Buffer.from(csv).toString('base64'),
          total_rows: importedContacts.length,
          processed_rows: importedContacts.length,
          counts: JSON.stringify(counts),
          problems: '[]',
          problem_count: 0,
          created_at: timestamp(importedAt),
          updated_at: timestamp(importedAt),
          finished_at: timestamp(importedAt),
        },
        ['id'],
      )) as Array<{ id: number }>
      for (const contact of importedContacts) {
        const organisation = (await trx('organisations').where({ place_id: knowsley.id, name: contact.organisation }).first('id')) as {
          id: number
        }
        const [invitation] = (await trx('invitations').insert(
          {
            email: contact.email,
            name: contact.name,
            role: 'partner',
            ics_id: ics.id,
            place_id: knowsley.id,
            organisation_id: organisation.id,
            invited_by: lead.id,
            created_at: timestamp(importedAt),
            last_sent_at: timestamp(importedAt),
          },
          ['id'],
        )) as Array<{ id: number }>
        // The link exists only in an e-mail the demo does not send: the invitation shows as waiting.
        await trx('one_time_tokens').insert({
          purpose: 'invitation',
          token_hash: createToken().tokenHash,
          invitation_id: invitation!.id,
          created_at: timestamp(importedAt),
          expires_at: timestamp(new Date(importedAt.getTime() + invitationLifetimeMs)),
        })
      }
      await trx('audit_events').insert({
        occurred_at: timestamp(importedAt),
        actor_user_id: lead.id,
        ics_id: ics.id,
        kind: 'import.completed',
        subject_type: 'import',
        subject_id: String(job!.id),
        details: JSON.stringify({ filename: 'knowsley-contacts.csv', ...counts }),
      })
    })
  }

  // Reminders: the baseline's 7-day and final reminders to the partners who submitted last, and
  // "remind now" from the ICS lead to Wirral's partners that have not submitted the current round.
  if (!(await db('reminder_log').whereIn('round_id', [baseline.id, current.id]).first('id'))) {
    const baselineDeadline = new Date(baseline.closes_at)
    const late = (await db('responses')
      .where({ round_id: baseline.id })
      .orderBy('submitted_at', 'desc')
      .limit(6)
      .pluck('organisation_id')) as number[]
    const wirral = (await db('places').where({ ics_id: ics.id, slug: 'wirral' }).first('id')) as { id: number }
    const waiting = (await db('organisations as o')
      .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', db.raw('?', [current.id])))
      .where('o.place_id', wirral.id)
      .where((q) => q.whereNull('r.id').orWhere('r.status', '<>', 'submitted'))
      .pluck('o.id')) as number[]
    const rows = [
      ...late.flatMap((organisationId) => [
        {
          organisation_id: organisationId,
          round_id: baseline.id,
          kind: 'scheduled',
          days_before: 7,
          at: new Date(baselineDeadline.getTime() - 7 * dayMs),
        },
        {
          organisation_id: organisationId,
          round_id: baseline.id,
          kind: 'scheduled',
          days_before: 1,
          at: new Date(baselineDeadline.getTime() - dayMs),
        },
      ]),
      ...waiting.map((organisationId) => ({
        organisation_id: organisationId,
        round_id: current.id,
        kind: 'manual',
        days_before: null,
        at: new Date(now.getTime() - 3 * dayMs),
      })),
    ]
    if (rows.length > 0) {
      await db('reminder_log').insert(
        rows.map((r) => ({
          round_id: r.round_id,
          organisation_id: r.organisation_id,
          kind: r.kind,
          days_before: r.days_before,
          deadline: r.round_id === baseline.id ? timestamp(baselineDeadline) : timestamp(new Date(current.closes_at)),
          sent_at: timestamp(r.at),
          recipients: 1,
          sent_by: r.kind === 'manual' ? lead.id : null,
        })),
      )
    }
  }

  // A draft of the ICS's own, started from the bundled framework.
  if (!(await db('framework_versions').where({ owner_ics_id: ics.id }).first('id'))) {
    const frameworks = new FrameworkService(db)
    const bundled = await frameworks.defaultVersion()
    if (bundled && bundled.slug === defaultFrameworkSlug) {
      await frameworks.import(
        {
          ...bundled.document,
          version: `${bundled.document.version} draft`,
          description: `${bundled.document.description} Draft for the next round: descriptors under review with the place leads.`,
        },
        { ownerIcsId: ics.id, basedOnVersionId: bundled.id, createdBy: lead.id },
      )
    }
  }
}
