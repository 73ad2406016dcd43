import type { Knex } from 'knex'
import { createToken } from '../auth/tokens'
import type { Database } from '../db/connection'
import { timestamp } from '../db/values'
import { FrameworkService, defaultFrameworkSlug } from '../services/frameworkService'
import { londonDateOf, londonTime } from '../time/london'
import { demoIcs } from './demoData'

const dayMs = 24 * 60 * 60 * 1000

/** The demo's next round: set up early, copied from the current one, opening in six weeks. */
export const upcomingRoundTitle = (opens: Date) =>
  `Place development self-assessment, ${opens.toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'Europe/London' })} (next round)`

/** A partner organisation of Warrington, imported in 2021, that merged before the baseline: retired, in no round. */
const retiredOrganisation = {
  place: 'warrington',
  name: 'Warrington Wellbeing Network',
  kind: 'vcse',
  importedAt: '2021-06-14T10:30:00.000Z',
  retiredAt: '2021-09-01T09:00:00.000Z',
}

/**
 * The next round, set up early: created just before the current round (so the current round is
 * still the newest by id), opening in six weeks at 09:00 and closing four weeks later at 17:00,
 * London time. seedAdministration links it to the current round once that exists.
 */
export async function createUpcomingRound(executor: Knex | Knex.Transaction, icsId: number, versionId: number, now: Date): Promise<void> {
  const opens = londonTime(londonDateOf(new Date(now.getTime() + 42 * dayMs)), 9)
  const closes = londonTime(londonDateOf(new Date(now.getTime() + 70 * dayMs)), 17)
  await executor('rounds').insert({
    ics_id: icsId,
    framework_version_id: versionId,
    title: upcomingRoundTitle(opens),
    opens_at: timestamp(opens),
    closes_at: timestamp(closes),
    reminder_days: '7,3,1',
    created_at: timestamp(now),
  })
}

/**
 * What an ICS lead running rounds leaves behind, for the demo to show it: the next round set up
 * early (upcoming, copied from the current one with its open development actions), a CSV import
 * done and the organisation it added since retired, reminders sent in both rounds, and a
 * framework draft of the ICS's own. Each part is added once.
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
  // A demo seeded before rounds could be set up early gains its next round too.
  if (rounds.length < 3) await createUpcomingRound(db, ics.id, current.framework_version_id, now)

  // The next round (created just before the current one, see createUpcomingRound): copied from the
  // current round, with the open development actions of its places carried over.
  const upcoming = (await db('rounds')
    .where({ ics_id: ics.id })
    .where('opens_at', '>', timestamp(now))
    .orderBy('opens_at', 'desc')
    .first('id', 'copied_from_round_id')) as { id: number; copied_from_round_id: number | null } | undefined
  if (upcoming && upcoming.copied_from_round_id === null) {
    await db.transaction(async (trx) => {
      await trx('rounds').where({ id: upcoming.id }).update({ copied_from_round_id: current.id, created_by: lead.id })
      const placeIds = (await trx('round_places').where({ round_id: current.id }).pluck('place_id')) as number[]
      await trx('round_places').insert(placeIds.map((placeId) => ({ round_id: upcoming.id, place_id: placeId })))
      const open = (await trx('development_actions').whereIn('place_id', placeIds).whereNot('status', 'done').pluck('id')) as number[]
      if (open.length > 0)
        await trx('round_carried_actions').insert(open.map((actionId) => ({ round_id: upcoming.id, action_id: actionId })))
      await trx('audit_events').insert({
        occurred_at: created,
        actor_user_id: lead.id,
        ics_id: ics.id,
        kind: 'round.created',
        subject_type: 'round',
        subject_id: String(upcoming.id),
        details: JSON.stringify({ copiedFrom: current.id, carriedActions: open.length, places: placeIds.length }),
      })
    })
  }

  // A CSV import from June 2021 that added a Warrington partner, which merged and was retired
  // before the baseline: it took part in no round, and nothing of it is deleted.
  if (!(await db('import_jobs').where({ ics_id: ics.id }).first('id'))) {
    const warrington = (await db('places').where({ ics_id: ics.id, slug: retiredOrganisation.place }).first('id', 'name')) as {
      id: number
      name: string
    }
    const csv = [
      'Place,Organisation,Organisation type,Contact name,Contact email',
      `${warrington.name},${retiredOrganisation.name},VCSE,,`,
    ].join('\r\n')
    const counts = { rows: 1, places: 0, organisations: 1, contacts: 0 }
    await db.transaction(async (trx) => {
      const [job] = (await trx('import_jobs').insert(
        {
          ics_id: ics.id,
          created_by: lead.id,
          filename: 'warrington-partners.csv',
          status: 'imported',
          content: Buffer.from(csv).toString('base64'),
          total_rows: 1,
          processed_rows: 1,
          counts: JSON.stringify(counts),
          problems: '[]',
          problem_count: 0,
          created_at: retiredOrganisation.importedAt,
          updated_at: retiredOrganisation.importedAt,
          finished_at: retiredOrganisation.importedAt,
        },
        ['id'],
      )) as Array<{ id: number }>
      const [organisation] = (await trx('organisations').insert(
        {
          place_id: warrington.id,
          name: retiredOrganisation.name,
          kind: retiredOrganisation.kind,
          created_at: retiredOrganisation.importedAt,
          retired_at: retiredOrganisation.retiredAt,
        },
        ['id'],
      )) as Array<{ id: number }>
      await trx('audit_events').insert([
        {
          occurred_at: retiredOrganisation.importedAt,
          actor_user_id: lead.id,
          ics_id: ics.id,
          kind: 'import.completed',
          subject_type: 'import',
          subject_id: String(job!.id),
          details: JSON.stringify({ filename: 'warrington-partners.csv', ...counts }),
        },
        {
          occurred_at: retiredOrganisation.retiredAt,
          actor_user_id: lead.id,
          ics_id: ics.id,
          kind: 'organisation.retired',
          subject_type: 'organisation',
          subject_id: String(organisation!.id),
          details: JSON.stringify({ name: retiredOrganisation.name, reason: 'Merged into Warrington Voluntary Action' }),
        },
      ])
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
      .where((q) => {
        q.whereNull('r.id').orWhere('r.status', '<>', 'submitted')
      })
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

  await seedWirralContacts(db, ics.id, lead.id, current.id, now)

  // A draft of the ICS's own, started from the bundled framework, with what the place leads asked
  // for so far (so comparing it with its source shows changes): the digital enabler reworded to
  // take in data, and full assurance on the operating model raised to Thriving.
  if (!(await db('framework_versions').where({ owner_ics_id: ics.id }).first('id'))) {
    const frameworks = new FrameworkService(db)
    const bundled = await frameworks.defaultVersion()
    if (bundled && bundled.slug === defaultFrameworkSlug) {
      const draftChanges: Record<string, { title?: string; threshold?: number }> = {
        DD3: { title: 'Enabler: Digital and data' },
        GV3: { threshold: 4 },
      }
      await frameworks.import(
        {
          ...bundled.document,
          version: `${bundled.document.version} draft`,
          description: `${bundled.document.description} Draft for the next round: descriptors under review with the place leads.`,
          domains: bundled.document.domains.map((domain) => ({
            ...domain,
            criteria: domain.criteria.map((criterion) => ({ ...criterion, ...draftChanges[criterion.code] })),
          })),
        },
        { ownerIcsId: ics.id, basedOnVersionId: bundled.id, createdBy: lead.id },
      )
    }
  }
}

/** Wirral's contacts, one per organisation without one, in the order of the organisations' names. */
const wirralContactNames = ['Priya Shah', 'Tom Hughes', 'Grace Owen', 'Daniel Reid', 'Aisha Khan', 'Owen Price', 'Leah Morris']

/**
 * Who answers for each Wirral partner organisation, so that its contacts board shows every
 * status: a partner with access for each organisation that has submitted the current round
 * (submitted; accepted in the next round), an invitation waiting for the one that has not started
 * (invited) and one whose link ran out for the other still in progress (invitation expired);
 * Wirral Council's demo partner has started. Nobody here can sign in: they have no password, and
 * the invitations' links exist nowhere. Added once.
 */
async function seedWirralContacts(db: Database, icsId: number, leadId: number, currentRoundId: number, now: Date): Promise<void> {
  const wirral = (await db('places').where({ ics_id: icsId, slug: 'wirral' }).first('id')) as { id: number } | undefined
  if (!wirral) return
  const organisations = (await db('organisations as o')
    .leftJoin('responses as r', (j) => j.on('r.organisation_id', 'o.id').andOn('r.round_id', db.raw('?', [currentRoundId])))
    .where('o.place_id', wirral.id)
    .whereNull('o.retired_at')
    .whereNotExists(db('memberships as m').whereRaw('m.organisation_id = o.id').where('m.role', 'partner'))
    .whereNotExists(db('invitations as n').whereRaw('n.organisation_id = o.id'))
    .orderBy('o.name')
    .select('o.id', 'o.name', 'r.status')) as Array<{ id: number; name: string; status: 'in_progress' | 'submitted' | null }>
  // Added once: a demo whose Wirral organisations all have someone (or were ever invited) is left alone.
  if (organisations.length === 0 || (await db('invitations').where({ place_id: wirral.id, role: 'partner' }).first('id'))) return
  const at = (days: number) => timestamp(new Date(now.getTime() + days * dayMs))
  await db.transaction(async (trx) => {
    for (const [index, organisation] of organisations.entries()) {
      const name = wirralContactNames[index % wirralContactNames.length]!
      // "Wirral University Teaching Hospital NHS Foundation Trust" -> wirral-university-teaching-hospital.example.org
      const domain = organisation.name
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((word) => word !== '' && !['nhs', 'foundation', 'trust', 'and'].includes(word))
        .join('-')
      const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${domain}.example.org`
      if (organisation.status === 'submitted') {
        const [user] = (await trx('users').insert({ email, name, is_active: true, created_at: at(-30) }, ['id'])) as Array<{ id: number }>
        await trx('memberships').insert({
          user_id: user!.id,
          role: 'partner',
          ics_id: icsId,
          place_id: wirral.id,
          organisation_id: organisation.id,
          created_at: at(-30),
        })
        continue
      }
      // Not started: invited two days ago. In progress without anyone: the link ran out.
      const sent = organisation.status === null ? -2 : -20
      const [invitation] = (await trx('invitations').insert(
        {
          email,
          name,
          role: 'partner',
          ics_id: icsId,
          place_id: wirral.id,
          organisation_id: organisation.id,
          invited_by: leadId,
          created_at: at(sent),
          last_sent_at: at(sent),
        },
        ['id'],
      )) as Array<{ id: number }>
      await trx('one_time_tokens').insert({
        purpose: 'invitation',
        token_hash: createToken().tokenHash,
        invitation_id: invitation!.id,
        created_at: at(sent),
        expires_at: at(sent + 14),
      })
      await trx('audit_events').insert({
        occurred_at: at(sent),
        actor_user_id: leadId,
        ics_id: icsId,
        kind: 'invitation.sent',
        subject_type: 'invitation',
        subject_id: String(invitation!.id),
        details: JSON.stringify({ email, role: 'partner', placeId: wirral.id, organisationId: organisation.id }),
      })
    }
  })
}
