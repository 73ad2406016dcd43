import type { Database } from '../db/connection'
import { toBoolean, toDate, toDateOrNull } from '../db/values'

export interface PartnerMember {
  organisationId: number
  userId: number
  name: string
  email: string
  active: boolean
  since: Date
}

export interface PartnerInvitation {
  id: number
  organisationId: number
  name: string
  email: string
  createdAt: Date
  lastSentAt: Date
  /** When its newest link stops working. */
  expiresAt: Date | null
}

/** Who can answer for a place's organisations: partners with access, and invitations not yet accepted. */
export class ContactData {
  constructor(private readonly db: Database) {}

  async members(placeId: number): Promise<PartnerMember[]> {
    const rows = (await this.db('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .join('organisations as o', 'o.id', 'm.organisation_id')
      .where({ 'o.place_id': placeId, 'm.role': 'partner' })
      .orderBy(['o.name', 'u.name'])
      .select('m.organisation_id', 'u.id', 'u.name', 'u.email', 'u.is_active', 'm.created_at')) as Array<{
      organisation_id: number
      id: number
      name: string
      email: string
      is_active: unknown
      created_at: unknown
    }>
    return rows.map((r) => ({ organisationId: r.organisation_id, userId: r.id, name: r.name, email: r.email, active: toBoolean(r.is_active), since: toDate(r.created_at) }))
  }

  /** Invitations to a place's organisations that are neither accepted nor revoked. */
  async openInvitations(placeId: number): Promise<PartnerInvitation[]> {
    const expiry = this.db('one_time_tokens as t').whereRaw('t.invitation_id = n.id').whereNull('t.revoked_at').max('t.expires_at').as('expires_at')
    const rows = (await this.db('invitations as n')
      .join('organisations as o', 'o.id', 'n.organisation_id')
      .where({ 'o.place_id': placeId, 'n.role': 'partner' })
      .whereNull('n.accepted_at')
      .whereNull('n.revoked_at')
      .orderBy(['o.name', 'n.name'])
      .select('n.id', 'n.organisation_id', 'n.name', 'n.email', 'n.created_at', 'n.last_sent_at', expiry)) as Array<{
      id: number
      organisation_id: number
      name: string
      email: string
      created_at: unknown
      last_sent_at: unknown
      expires_at: unknown
    }>
    return rows.map((r) => ({
      id: r.id,
      organisationId: r.organisation_id,
      name: r.name,
      email: r.email,
      createdAt: toDate(r.created_at),
      lastSentAt: toDate(r.last_sent_at),
      expiresAt: toDateOrNull(r.expires_at),
    }))
  }

  /** The status of each organisation's response in a round, by organisation id. */
  async responseStatuses(roundId: number, placeId: number): Promise<Map<number, 'in_progress' | 'submitted'>> {
    const rows = (await this.db('responses as r')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .where({ 'r.round_id': roundId, 'o.place_id': placeId })
      .select('r.organisation_id', 'r.status')) as Array<{ organisation_id: number; status: 'in_progress' | 'submitted' }>
    return new Map(rows.map((r) => [r.organisation_id, r.status]))
  }

  /** The rounds a place takes part in, newest first by opening. */
  async roundsOfPlace(placeId: number): Promise<Array<{ id: number; title: string; opensAt: Date }>> {
    const rows = (await this.db('rounds as r')
      .join('round_places as rp', 'rp.round_id', 'r.id')
      .where('rp.place_id', placeId)
      .orderBy([
        { column: 'r.opens_at', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .select('r.id', 'r.title', 'r.opens_at')) as Array<{ id: number; title: string; opens_at: unknown }>
    return rows.map((r) => ({ id: r.id, title: r.title, opensAt: toDate(r.opens_at) }))
  }
}
