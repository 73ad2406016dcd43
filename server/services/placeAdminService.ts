import { canManagePlace, isIcsLead, managedPlaceIds } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import type { Database } from '../db/connection'
import { ContactData } from '../data/contacts'
import { PlaceData, type OrganisationRecord, type PlaceRecord } from '../data/places'
import { ReminderData } from '../data/reminders'
import { NotFoundError, ValidationError } from '../errors'
import type { OrganisationKind } from '../organisations/kinds'
import type { AuditService } from './auditService'

export type ContactStatus = 'invited' | 'expired' | 'accepted' | 'started' | 'submitted' | 'deactivated'

export interface Contact {
  name: string
  email: string
  status: ContactStatus
  /** When invited, or when they joined. */
  since: Date
  /** An invitation not yet accepted: it can be resent or revoked. */
  invitationId: number | null
}

/**
 * Places and their partner organisations: added, renamed, retired and reinstated by the ICS lead
 * (organisations also by the place's own lead); never deleted, so their answers stay. And who can
 * answer for each organisation: its contacts, and how far each has got.
 */
export class PlaceAdminService {
  private readonly places: PlaceData
  private readonly contacts: ContactData
  private readonly reminders: ReminderData

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: () => Date,
  ) {
    this.places = new PlaceData(db)
    this.contacts = new ContactData(db)
    this.reminders = new ReminderData(db)
  }

  /** The places the user manages: all of an ICS for its lead, their own for a place lead. */
  async list(user: CurrentUser, icsId: number) {
    const lead = isIcsLead(user, icsId)
    const mine = managedPlaceIds(user)
    return (await this.places.placeSummaries(icsId)).filter((p) => lead || mine.includes(p.id))
  }

  async place(
    user: CurrentUser,
    placeId: number,
  ): Promise<{ place: PlaceRecord; isIcsLead: boolean; organisations: Awaited<ReturnType<PlaceData['organisationSummaries']>> }> {
    const place = await this.places.findPlace(placeId)
    if (!place || !canManagePlace(user, place)) throw new NotFoundError()
    return { place, isIcsLead: isIcsLead(user, place.icsId), organisations: await this.places.organisationSummaries(placeId) }
  }

  private async leadPlace(user: CurrentUser, placeId: number): Promise<PlaceRecord> {
    const place = await this.places.findPlace(placeId)
    if (!place || !isIcsLead(user, place.icsId)) throw new NotFoundError()
    return place
  }

  async createPlace(actor: Actor, icsId: number, name: string): Promise<number> {
    const user = actor.user
    if (!isIcsLead(user, icsId)) throw new NotFoundError()
    const clash = await this.places.findPlaceByName(icsId, name)
    if (clash)
      throw new ValidationError([
        {
          text: `There is already a place called ${clash.name}${clash.retiredAt ? ' (retired: reinstate it instead)' : ''}`,
          href: '#name',
        },
      ])
    return this.db.transaction(async (trx) => {
      const ids = await this.places.createPlaces(icsId, [name], this.clock(), trx)
      const placeId = ids.get(name)!
      await this.audit.record(actor, { kind: 'place.created', icsId, subjectType: 'place', subjectId: placeId, details: { name } }, trx)
      return placeId
    })
  }

  async renamePlace(actor: Actor, placeId: number, name: string): Promise<void> {
    const user = actor.user
    const place = await this.leadPlace(user, placeId)
    if (name === place.name) return
    const clash = await this.places.findPlaceByName(place.icsId, name, placeId)
    if (clash) throw new ValidationError([{ text: `There is already a place called ${clash.name}`, href: '#name' }])
    await this.db.transaction(async (trx) => {
      await this.places.renamePlace(placeId, name, trx)
      await this.audit.record(
        actor,
        {
          kind: 'place.changed',
          icsId: place.icsId,
          subjectType: 'place',
          subjectId: placeId,
          details: { from: place.name, to: name },
        },
        trx,
      )
    })
  }

  /** Retires a place (left out of new rounds; its history kept) or reinstates it. */
  async setPlaceRetired(actor: Actor, placeId: number, retire: boolean, reason: string): Promise<void> {
    const user = actor.user
    const place = await this.leadPlace(user, placeId)
    await this.db.transaction(async (trx) => {
      if (await this.places.setPlaceRetired(placeId, retire ? this.clock() : null, trx)) {
        await this.audit.record(
          actor,
          {
            kind: retire ? 'place.retired' : 'place.reinstated',
            icsId: place.icsId,
            subjectType: 'place',
            subjectId: placeId,
            details: { name: place.name, reason },
          },
          trx,
        )
      }
    })
  }

  async createOrganisation(actor: Actor, placeId: number, input: { name: string; kind: OrganisationKind }): Promise<number> {
    const user = actor.user
    const { place } = await this.place(user, placeId)
    if (place.retiredAt)
      throw new ValidationError([{ text: `${place.name} is retired: reinstate it before adding organisations`, href: '#name' }])
    const clash = await this.places.findOrganisationByName(placeId, input.name)
    if (clash)
      throw new ValidationError([
        {
          text: `${place.name} already has an organisation called ${clash.name}${clash.retiredAt ? ' (retired: reinstate it instead)' : ''}`,
          href: '#name',
        },
      ])
    return this.db.transaction(async (trx) => {
      const ids = await this.places.createOrganisations([{ placeId, name: input.name, kind: input.kind }], this.clock(), trx)
      const organisationId = ids.get(`${placeId}:${input.name}`)!
      await this.audit.record(
        actor,
        {
          kind: 'organisation.created',
          icsId: place.icsId,
          subjectType: 'organisation',
          subjectId: organisationId,
          details: { name: input.name, kind: input.kind, place: place.name },
        },
        trx,
      )
      return organisationId
    })
  }

  /** An organisation the user manages (its place's lead, or the ICS lead), with its reminder log. */
  async organisation(user: CurrentUser, organisationId: number) {
    const organisation = await this.places.findOrganisation(organisationId)
    if (!organisation || !canManagePlace(user, { id: organisation.placeId, icsId: organisation.icsId })) throw new NotFoundError()
    const place = (await this.places.findPlace(organisation.placeId))!
    return { organisation, place, reminders: await this.reminders.log(organisationId) }
  }

  async updateOrganisation(actor: Actor, organisationId: number, input: { name: string; kind: OrganisationKind }): Promise<void> {
    const user = actor.user
    const { organisation } = await this.organisation(user, organisationId)
    const clash = await this.places.findOrganisationByName(organisation.placeId, input.name, organisationId)
    if (clash)
      throw new ValidationError([{ text: `${organisation.placeName} already has an organisation called ${clash.name}`, href: '#name' }])
    if (input.name === organisation.name && input.kind === organisation.kind) return
    await this.db.transaction(async (trx) => {
      await this.places.updateOrganisation(organisationId, input, trx)
      await this.audit.record(
        actor,
        {
          kind: 'organisation.changed',
          icsId: organisation.icsId,
          subjectType: 'organisation',
          subjectId: organisationId,
          details: { from: { name: organisation.name, kind: organisation.kind }, to: input },
        },
        trx,
      )
    })
  }

  async setOrganisationRetired(actor: Actor, organisationId: number, retire: boolean, reason: string): Promise<OrganisationRecord> {
    const user = actor.user
    const { organisation } = await this.organisation(user, organisationId)
    await this.db.transaction(async (trx) => {
      if (await this.places.setOrganisationRetired(organisationId, retire ? this.clock() : null, trx)) {
        await this.audit.record(
          actor,
          {
            kind: retire ? 'organisation.retired' : 'organisation.reinstated',
            icsId: organisation.icsId,
            subjectType: 'organisation',
            subjectId: organisationId,
            details: { name: organisation.name, reason },
          },
          trx,
        )
      }
    })
    return organisation
  }

  /**
   * The place's contacts board: each organisation with everyone who can answer for it, or has been
   * invited to, and how far they have got in the round (accepted, started, submitted). Four
   * queries, however many organisations and people.
   */
  async contactsBoard(user: CurrentUser, placeId: number, roundId: number | undefined) {
    const { place, organisations } = await this.place(user, placeId)
    const rounds = await this.contacts.roundsOfPlace(placeId)
    // By default the newest round that has opened: the next one, set up early, has nobody started yet.
    const round = rounds.find((r) => r.id === roundId) ?? rounds.find((r) => r.opensAt <= this.clock()) ?? rounds[0]
    const [members, invitations, statuses] = [
      await this.contacts.members(placeId),
      await this.contacts.openInvitations(placeId),
      round ? await this.contacts.responseStatuses(round.id, placeId) : new Map<number, 'in_progress' | 'submitted'>(),
    ]
    const now = this.clock()
    const board = organisations.map((o) => {
      const response = statuses.get(o.id)
      const contacts: Contact[] = [
        ...members
          .filter((m) => m.organisationId === o.id)
          .map((m) => ({
            name: m.name,
            email: m.email,
            status: (!m.active
              ? 'deactivated'
              : response === 'submitted'
                ? 'submitted'
                : response === 'in_progress'
                  ? 'started'
                  : 'accepted') as ContactStatus,
            since: m.since,
            invitationId: null,
          })),
        ...invitations
          .filter((n) => n.organisationId === o.id)
          .map((n) => ({
            name: n.name,
            email: n.email,
            status: (n.expiresAt && n.expiresAt > now ? 'invited' : 'expired') as ContactStatus,
            since: n.lastSentAt,
            invitationId: n.id,
          })),
      ]
      return { organisation: o, contacts }
    })
    return { place, rounds, round, board }
  }
}
