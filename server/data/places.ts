import type { Database } from '../db/connection'
import { compiledRead } from '../db/compiledRead'
import { shapedReads, type ShapedParams } from './shapedReads'
import { timestamp, toBoolean, toCount, toDateOrNull } from '../db/values'
import type { Executor } from './frameworks'

export interface IcsRecord {
  id: number
  name: string
  slug: string
  isDemo: boolean
}

export interface PlaceRecord {
  id: number
  icsId: number
  name: string
  slug: string
  retiredAt: Date | null
}

export interface OrganisationRecord {
  id: number
  placeId: number
  icsId: number
  name: string
  kind: string
  placeName: string
  retiredAt: Date | null
}

/** A place with what hangs off it, counted in SQL, for the places list. */
export interface PlaceSummary extends PlaceRecord {
  organisations: number
  retiredOrganisations: number
  contacts: number
}

/** An organisation with its contacts counted, for a place's page. */
export interface OrganisationSummary extends OrganisationRecord {
  contacts: number
  /** Responses it has in any round: an organisation with answers is never deleted, only retired. */
  responses: number
}

interface PlaceRow {
  id: number
  ics_id: number
  name: string
  slug: string
  retired_at: unknown
}

function toPlace(r: PlaceRow): PlaceRecord {
  return { id: r.id, icsId: r.ics_id, name: r.name, slug: r.slug, retiredAt: toDateOrNull(r.retired_at) }
}

/** "St Helens & Knowsley" -> "st-helens-knowsley"; never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
  return slug || 'item'
}

/**
 * ICSs, places and partner organisations. Nothing with history is ever deleted: a place or
 * organisation is retired (left out of new rounds and choices) and keeps its answers.
 */
const placeQuery = (db: Executor, id: number) => db('places').where({ id }).first('id', 'ics_id', 'name', 'slug', 'retired_at')
/** A place, read on every place page: compiled once. */
const readPlace = compiledRead<{ id: number }, PlaceRow>((db, { id }) => placeQuery(db, id), ['id'])

/** The lists of organisations, one compiled read per kind of filter (listOrganisations). */
const organisationLists = shapedReads<OrganisationRow>(2)

export class PlaceData {
  constructor(private readonly db: Database) {}

  async findIcs(id: number): Promise<IcsRecord | undefined> {
    const row = (await this.db('ics').where({ id }).first('id', 'name', 'slug', 'is_demo')) as
      | { id: number; name: string; slug: string; is_demo: unknown }
      | undefined
    return row && { id: row.id, name: row.name, slug: row.slug, isDemo: toBoolean(row.is_demo) }
  }

  /** An ICS whose name is this one, whatever its case and spacing. */
  async findIcsByName(name: string, executor: Executor = this.db): Promise<IcsRecord | undefined> {
    const row = (await executor('ics')
      .whereRaw('lower(name) = ?', [name.trim().replace(/\s+/g, ' ').toLowerCase()])
      .first('id', 'name', 'slug', 'is_demo')) as { id: number; name: string; slug: string; is_demo: unknown } | undefined
    return row && { id: row.id, name: row.name, slug: row.slug, isDemo: toBoolean(row.is_demo) }
  }

  async createIcs(name: string, now: Date, executor: Executor): Promise<number> {
    const slug = await this.freeSlug(executor, 'ics', slugify(name), {})
    const [row] = (await executor('ics').insert({ name, slug, is_demo: false, created_at: timestamp(now) }, ['id'])) as Array<{ id: number }>
    return row!.id
  }

  /** A slug not yet used in `table` (within `scope`): the base, else base-2, base-3 ... */
  private async freeSlug(executor: Executor, table: string, base: string, scope: Record<string, unknown>): Promise<string> {
    const taken = new Set(
      (await executor(table)
        .where(scope)
        .where((q) => {
          q.where('slug', base).orWhere('slug', 'like', `${base}-%`)
        })
        .pluck('slug')) as string[],
    )
    if (!taken.has(base)) return base
    let n = 2
    while (taken.has(`${base}-${n}`)) n++
    return `${base}-${n}`
  }

  /** The ICS's places, by name; retired ones only when asked for. */
  async listPlaces(icsId: number, options: { includeRetired?: boolean } = {}): Promise<PlaceRecord[]> {
    const query = this.db('places').where({ ics_id: icsId }).orderBy('name').select('id', 'ics_id', 'name', 'slug', 'retired_at')
    if (!options.includeRetired) query.whereNull('retired_at')
    return ((await query) as PlaceRow[]).map(toPlace)
  }

  /** Every place of an ICS with its organisations and contacts counted, in one query. */
  async placeSummaries(icsId: number): Promise<PlaceSummary[]> {
    const organisations = this.db('organisations as o').whereRaw('o.place_id = p.id').whereNull('o.retired_at').count('*').as('organisations')
    const retired = this.db('organisations as o').whereRaw('o.place_id = p.id').whereNotNull('o.retired_at').count('*').as('retired_organisations')
    const members = this.partnerMembers(this.db).whereRaw('o.place_id = p.id').count('*').as('members')
    const invited = this.openPartnerInvitations(this.db).whereRaw('o.place_id = p.id').count('*').as('invited')
    const rows = (await this.db('places as p')
      .where('p.ics_id', icsId)
      .orderBy('p.name')
      .select('p.id', 'p.ics_id', 'p.name', 'p.slug', 'p.retired_at', organisations, retired, members, invited)) as Array<
      PlaceRow & { organisations: unknown; retired_organisations: unknown; members: unknown; invited: unknown }
    >
    return rows.map((r) => ({
      ...toPlace(r),
      organisations: toCount(r.organisations),
      retiredOrganisations: toCount(r.retired_organisations),
      contacts: toCount(r.members) + toCount(r.invited),
    }))
  }

  async findPlace(id: number, executor: Executor = this.db): Promise<PlaceRecord | undefined> {
    // Outside a transaction (every place page) the compiled read; in one, its own connection.
    const row =
      executor === this.db
        ? (await readPlace(this.db, { id }))[0]
        : ((await placeQuery(executor, id)) as PlaceRow | undefined)
    return row && toPlace(row)
  }

  /** A place of this ICS with this name, whatever its case and spacing (another than `exceptId`). */
  async findPlaceByName(icsId: number, name: string, exceptId?: number, executor: Executor = this.db): Promise<PlaceRecord | undefined> {
    const query = executor('places')
      .where({ ics_id: icsId })
      .whereRaw('lower(name) = ?', [name.trim().replace(/\s+/g, ' ').toLowerCase()])
    if (exceptId !== undefined) query.whereNot('id', exceptId)
    const row = (await query.first('id', 'ics_id', 'name', 'slug', 'retired_at')) as PlaceRow | undefined
    return row && toPlace(row)
  }

  async createPlaces(icsId: number, names: string[], now: Date, executor: Executor): Promise<Map<string, number>> {
    const ids = new Map<string, number>()
    const slugs = new Set((await executor('places').where({ ics_id: icsId }).pluck('slug')) as string[])
    const rows = names.map((name) => {
      const base = slugify(name)
      let slug = base
      for (let n = 2; slugs.has(slug); n++) slug = `${base}-${n}`
      slugs.add(slug)
      return { ics_id: icsId, name, slug, created_at: timestamp(now) }
    })
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = (await executor('places').insert(rows.slice(i, i + 500), ['id', 'name'])) as Array<{ id: number; name: string }>
      for (const row of inserted) ids.set(row.name, row.id)
    }
    return ids
  }

  async renamePlace(id: number, name: string, executor: Executor): Promise<void> {
    await executor('places').where({ id }).update({ name })
  }

  /** Retires (when `at` is a date) or reinstates (null) a place; false when it was already so. */
  async setPlaceRetired(id: number, at: Date | null, executor: Executor): Promise<boolean> {
    const query = executor('places').where({ id })
    if (at) query.whereNull('retired_at')
    else query.whereNotNull('retired_at')
    return (await query.update({ retired_at: at ? timestamp(at) : null })) === 1
  }

  private organisations(executor: Executor) {
    return executor('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .select('o.id', 'o.place_id', 'p.ics_id', 'o.name', 'o.kind', 'p.name as place_name', 'o.retired_at')
  }

  /**
   * The organisations of an ICS (or of one place of it) that are not retired, in places that are
   * not, by place and name. Read on every place page, so compiled once per filter (shapedReads).
   */
  async listOrganisations(filter: { icsId: number; placeId?: number }): Promise<OrganisationRecord[]> {
    const params: ShapedParams = filter.placeId === undefined ? { icsId: filter.icsId } : { icsId: filter.icsId, placeId: filter.placeId }
    const read = organisationLists(params, '', (db, p) => {
      const query = this.organisations(db)
        .where('p.ics_id', p.icsId!)
        .whereNull('o.retired_at')
        .whereNull('p.retired_at')
        .orderBy(['p.name', 'o.name'])
      return p.placeId === undefined ? query : query.where('o.place_id', p.placeId)
    })
    return (await read(this.db, params)).map(toOrganisation)
  }

  /** A place's organisations, retired ones included, with their contacts and responses counted in SQL. */
  async organisationSummaries(placeId: number): Promise<OrganisationSummary[]> {
    const members = this.db('memberships as m').whereRaw('m.organisation_id = o.id').where('m.role', 'partner').count('*').as('members')
    const invited = this.db('invitations as n')
      .whereRaw('n.organisation_id = o.id')
      .where('n.role', 'partner')
      .whereNull('n.accepted_at')
      .whereNull('n.revoked_at')
      .count('*')
      .as('invited')
    const responses = this.db('responses as r').whereRaw('r.organisation_id = o.id').count('*').as('responses')
    const rows = (await this.organisations(this.db)
      .where('o.place_id', placeId)
      .orderBy('o.name')
      .select(members, invited, responses)) as Array<OrganisationRow & { members: unknown; invited: unknown; responses: unknown }>
    return rows.map((r) => ({ ...toOrganisation(r), contacts: toCount(r.members) + toCount(r.invited), responses: toCount(r.responses) }))
  }

  /**
   * A place's or organisation's contacts, as its contacts board lists them: partners with access
   * (whether or not they came by invitation) and invitations neither accepted nor revoked.
   */
  private partnerMembers(executor: Executor) {
    return executor('memberships as m').join('organisations as o', 'o.id', 'm.organisation_id').where('m.role', 'partner')
  }

  private openPartnerInvitations(executor: Executor) {
    return executor('invitations as n')
      .join('organisations as o', 'o.id', 'n.organisation_id')
      .where('n.role', 'partner')
      .whereNull('n.accepted_at')
      .whereNull('n.revoked_at')
  }

  async findOrganisation(id: number, executor: Executor = this.db): Promise<OrganisationRecord | undefined> {
    const row = (await this.organisations(executor).where('o.id', id).first()) as OrganisationRow | undefined
    return row && toOrganisation(row)
  }

  async findOrganisationByName(placeId: number, name: string, exceptId?: number): Promise<OrganisationRecord | undefined> {
    const query = this.organisations(this.db)
      .where('o.place_id', placeId)
      .whereRaw('lower(o.name) = ?', [name.trim().replace(/\s+/g, ' ').toLowerCase()])
    if (exceptId !== undefined) query.whereNot('o.id', exceptId)
    const row = (await query.first()) as OrganisationRow | undefined
    return row && toOrganisation(row)
  }

  /** Adds organisations, in batches; returns their ids keyed by `${placeId}:${name}`. */
  async createOrganisations(
    organisations: Array<{ placeId: number; name: string; kind: string }>,
    now: Date,
    executor: Executor,
  ): Promise<Map<string, number>> {
    const ids = new Map<string, number>()
    const rows = organisations.map((o) => ({ place_id: o.placeId, name: o.name, kind: o.kind, created_at: timestamp(now) }))
    for (let i = 0; i < rows.length; i += 500) {
      const inserted = (await executor('organisations').insert(rows.slice(i, i + 500), ['id', 'place_id', 'name'])) as Array<{
        id: number
        place_id: number
        name: string
      }>
      for (const row of inserted) ids.set(`${row.place_id}:${row.name}`, row.id)
    }
    return ids
  }

  async updateOrganisation(id: number, values: { name: string; kind: string }, executor: Executor): Promise<void> {
    await executor('organisations').where({ id }).update(values)
  }

  async setOrganisationRetired(id: number, at: Date | null, executor: Executor): Promise<boolean> {
    const query = executor('organisations').where({ id })
    if (at) query.whereNull('retired_at')
    else query.whereNotNull('retired_at')
    return (await query.update({ retired_at: at ? timestamp(at) : null })) === 1
  }
}

interface OrganisationRow {
  id: number
  place_id: number
  ics_id: number
  name: string
  kind: string
  place_name: string
  retired_at: unknown
}

function toOrganisation(r: OrganisationRow): OrganisationRecord {
  return {
    id: r.id,
    placeId: r.place_id,
    icsId: r.ics_id,
    name: r.name,
    kind: r.kind,
    placeName: r.place_name,
    retiredAt: toDateOrNull(r.retired_at),
  }
}
