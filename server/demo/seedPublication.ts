import type { Database } from '../db/connection'
import { ReportData } from '../data/reports'
import { demoIcs } from './demoData'

/**
 * The demo's October 2021 baseline results, published by the ICS lead two days after the ICB
 * Board's decisions, so board viewers can read its reports (the current round stays a draft).
 * Safe to run at every start: a published round is left as it is. Like the rest of the demo's
 * history it is seeded, not something anyone did here, so it leaves no audit event.
 */
export async function publishDemoBaseline(db: Database, baselineTitle: string): Promise<void> {
  const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number } | undefined
  if (!ics) return
  const baseline = (await db('rounds').where({ ics_id: ics.id, title: baselineTitle }).first('id', 'published_at')) as
    { id: number; published_at: unknown } | undefined
  const lead = (await db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number } | undefined
  if (!baseline || baseline.published_at || !lead) return
  if (!(await db('delegation_decisions').where({ round_id: baseline.id }).first('round_id'))) return
  await new ReportData(db).publish(baseline.id, lead.id, new Date('2022-01-14T10:00:00Z'), db)
}
