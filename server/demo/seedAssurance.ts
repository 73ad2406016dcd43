import type { Database } from '../db/connection'
import { PlaceReturnData } from '../data/placeReturns'
import { PlaceData } from '../data/places'
import { RoundData } from '../data/rounds'
import { AuditService } from '../services/auditService'
import { PlaceReturnService } from '../services/placeReturnService'
import { demoIcs } from './demoData'

/**
 * The demo's assurance story: every place's October 2021 return agreed, submitted and
 * moderated where the ICS lead disagreed, a delegation decision for each place (one that
 * differs from the recommendation), a development plan from the unmet thresholds, and
 * Wirral's current return started. Added once, when the baseline has no place returns.
 */
export async function seedAssurance(db: Database, baselineTitle: string, now: Date): Promise<void> {
  const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number } | undefined
  if (!ics) return
  const rounds = (await db('rounds').where({ ics_id: ics.id }).orderBy('opens_at').select('id', 'title')) as Array<{
    id: number
    title: string
  }>
  const baseline = rounds.find((r) => r.title === baselineTitle)
  const current = rounds.find((r) => r.title !== baselineTitle)
  if (!baseline || (await db('place_returns').where({ round_id: baseline.id }).first('id'))) return

  const data = new PlaceReturnData(db)
  const places = new PlaceData(db)
  const roundData = new RoundData(db)
  const service = new PlaceReturnService(db, new AuditService(db, () => now), () => now)
  const lead = (await db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number } | undefined
  const placeLead = (await db('users').where({ email: 'place.lead.wirral@example.org' }).first('id')) as { id: number } | undefined
  const baselineRound = (await roundData.findRound(baseline.id))!
  const agreedAt = new Date('2021-11-05T15:00:00Z')

  for (const place of await places.listPlaces(ics.id)) {
    const before = await service.results(baselineRound, place)
    await db.transaction(async (trx) => {
      const returnId = await data.ensureReturn(baseline.id, place.id, agreedAt, trx)
      for (const c of before.criteria) {
        const level = c.spread.median
        await data.savePosition(
          returnId,
          c.criterion.id,
          {
            level,
            notSure: level === null,
            rationale: c.spread.disagreement
              ? `Partners differed (levels ${c.spread.lowest} to ${c.spread.highest}); agreed at the development group after discussion.`
              : 'Partners broadly agreed; the agreed level is the middle of their answers.',
            evidenceSummary:
              level !== null && level >= 2
                ? `Evidence from partners’ returns for ${c.criterion.code}, reviewed by the place development group.`
                : null,
          },
          place.slug === 'wirral' && placeLead ? placeLead.id : (lead?.id ?? 0),
          agreedAt,
          trx,
        )
      }
      await data.setReturnStatus(returnId, 'submitted', place.slug === 'wirral' && placeLead ? placeLead.id : null, agreedAt, trx)
      // The ICS lead was not assured on one criterion in two places.
      const moderated = place.slug === 'sefton' ? 'GV3' : place.slug === 'liverpool' ? 'DD1' : undefined
      const criterion = before.criteria.find((c) => c.criterion.code === moderated)
      if (criterion && lead) {
        const level = Math.max(1, (criterion.spread.median ?? 2) - 1)
        await data.saveModeration(
          returnId,
          criterion.criterion.id,
          level,
          'Evidence shows the arrangements are agreed in principle but not yet operating.',
          lead.id,
          new Date('2021-11-20T10:00:00Z'),
          trx,
        )
      }
    })

    const after = await service.results(baselineRound, place)
    // Liverpool's decision differs from the recommendation, as the ICB may decide.
    const differs = place.slug === 'liverpool'
    const recommended = after.readiness.level
    const organisations = await places.listOrganisations({ icsId: ics.id, placeId: place.id })
    await db.transaction(async (trx) => {
      await data.saveDecision(
        {
          roundId: baseline.id,
          placeId: place.id,
          recommendedLevel: recommended,
          decidedLevel: differs ? (recommended < 3 ? recommended + 1 : recommended - 1) : recommended,
          rationale: `The ICB considered ${place.name}’s self-assessment and the system and place meetings, and agreed a targeted development plan.`,
          differenceReason: differs
            ? 'Liverpool’s long-standing pooled budget and joint commissioning team give the ICB the assurance the self-assessment alone does not yet show.'
            : null,
          decidedOn: '2022-01-12',
          decidingBody: 'ICB Board, 12 January 2022',
          recommendationSnapshot: after.readiness.explanation,
        },
        lead?.id ?? 0,
        new Date('2022-01-12T16:00:00Z'),
        trx,
      )
      for (const [i, code] of after.readiness.unmet.slice(0, 3).entries()) {
        const criterion = after.criteria.find((c) => c.criterion.code === code)!
        await data.createAction(
          {
            placeId: place.id,
            roundId: baseline.id,
            criterionCode: code,
            description: `Develop ${criterion.criterion.title.toLowerCase()} to Maturing: agree the arrangements with all partners and gather the evidence.`,
            ownerOrganisationId: organisations[i % organisations.length]?.id ?? null,
            dueDate: ['2022-06-30', '2022-09-30', '2027-03-31'][i]!,
            status: (['done', 'in_progress', 'not_started'] as const)[i]!,
          },
          lead?.id ?? 0,
          new Date('2022-01-20T10:00:00Z'),
          trx,
        )
      }
    })
  }

  // The current round: Wirral's place lead has started agreeing the place's position.
  const wirral = (await places.listPlaces(ics.id)).find((p) => p.slug === 'wirral')
  if (current && wirral && placeLead) {
    const currentRound = (await roundData.findRound(current.id))!
    const results = await service.results(currentRound, wirral)
    await db.transaction(async (trx) => {
      const returnId = await data.ensureReturn(current.id, wirral.id, now, trx)
      for (const c of results.criteria.filter((x) => x.criterion.domainCode === 'AV')) {
        await data.savePosition(
          returnId,
          c.criterion.id,
          {
            level: c.spread.median,
            notSure: c.spread.median === null,
            rationale: 'Agreed at the ICP Delivery and Development Group.',
            evidenceSummary: 'Joint health and wellbeing strategy; place plan.',
          },
          placeLead.id,
          now,
          trx,
        )
      }
    })
  }
}
