import { z } from 'zod'
import type { Database } from '../db/connection'
import { PlaceData } from '../data/places'
import { normaliseEmail } from '../data/users'
import { ValidationError } from '../errors'
import type { AuditService } from './auditService'
import type { InvitationService } from './invitationService'
import type { Mailer } from './mailer'

export interface NewIcs {
  name: string
  leadEmail: string
  /** The first ICS lead's name; by default made from their e-mail address (jane.smith@ -> Jane Smith). */
  leadName?: string
}

export interface CreatedIcs {
  icsId: number
  invitationId: number
  /** The link in the invitation e-mail, for the operator to pass on while mail waits in the outbox. */
  invitationLink: string
  /** Whether the invitation went over SMTP; false when it waits in the outbox (no SMTP_URL). */
  mailDelivered: boolean
}

const emailFormat = z.email()

/** "jane.smith-jones@nhs.net" -> "Jane Smith-Jones". */
export function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email
  return local
    .split(/[._]+/)
    .filter(Boolean)
    .map((part) => part.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()))
    .join(' ')
}

/**
 * Bringing a new ICS on board, as an operator does (npm run ics:create): the ICS, and an
 * invitation for its first ICS lead, who then sets up everything else. Audited with no acting
 * user (it is the operator's command); a second ICS of the same name is refused.
 */
export class IcsService {
  private readonly places: PlaceData

  constructor(
    private readonly db: Database,
    private readonly invitations: InvitationService,
    private readonly audit: AuditService,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
    private readonly smtpConfigured: boolean,
  ) {
    this.places = new PlaceData(db)
  }

  async create(input: NewIcs): Promise<CreatedIcs> {
    const name = input.name.trim().replace(/\s+/g, ' ')
    const email = normaliseEmail(input.leadEmail)
    const errors: Array<{ text: string; href: `#${string}` }> = []
    if (!name) errors.push({ text: 'Give the ICS a name (--name "…")', href: '#name' })
    else if (name.length > 200) errors.push({ text: 'The ICS name must be 200 characters or fewer', href: '#name' })
    if (!email) errors.push({ text: 'Give the first ICS lead’s e-mail address (--lead someone@nhs.net)', href: '#lead' })
    else if (email.length > 320 || !emailFormat.safeParse(email).success)
      errors.push({ text: `“${input.leadEmail}” is not an e-mail address`, href: '#lead' })
    if (errors.length > 0) throw new ValidationError(errors)
    const leadName = input.leadName?.trim() || nameFromEmail(email)
    const now = this.clock()
    const created = await this.db.transaction(async (trx) => {
      const existing = await this.places.findIcsByName(name, trx)
      if (existing) {
        throw new ValidationError([
          { text: `An ICS called “${existing.name}” already exists (id ${existing.id}): nothing was created`, href: '#name' },
        ])
      }
      const icsId = await this.places.createIcs(name, now, trx)
      await this.audit.recordFrom(
        { userId: null, ip: undefined },
        {
          kind: 'ics.created',
          icsId,
          subjectType: 'ics',
          subjectId: icsId,
          details: { name, lead: email, by: 'operator' },
        },
        trx,
      )
      const invited = await this.invitations.inviteMany(
        trx,
        { userId: null, name: 'The PlaceReady operator' },
        icsId,
        [{ email, name: leadName, role: 'ics_lead', placeId: null, organisationId: null }],
        undefined,
      )
      return { icsId, invitationId: invited.invitationIds[0]!, link: invited.links[0]!, outboxIds: invited.outboxIds }
    })
    await this.mailer.deliver(created.outboxIds)
    return {
      icsId: created.icsId,
      invitationId: created.invitationId,
      invitationLink: created.link,
      mailDelivered: this.smtpConfigured && (await this.mailer.allSent(created.outboxIds)),
    }
  }
}
