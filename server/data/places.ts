import type { Database } from '../db/connection'
import { toBoolean } from '../db/values'
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
}

export interface OrganisationRecord {
  id: number
  placeId: number
  icsId: number
  name: string
  kind: string
  placeName: string
}

export class PlaceData {
  constructor(private readonly db: Database) {}

  async findIcs(id: number): Promise<IcsRecord | undefined> {
    const row = (await this.db('ics').where({ id }).first('id', 'name', 'slug', 'is_demo')) as
      | { id: number; name: string; slug: string; is_demo: unknown }
      | undefined
    return row && { id: row.id, name: row.name, slug: row.slug, isDemo: toBoolean(row.is_demo) }
  }

  async listPlaces(icsId: number): Promise<PlaceRecord[]> {
    const rows = (await this.db('places').where({ ics_id: icsId }).orderBy('name').select('id', 'ics_id', 'name', 'slug')) as Array<{
      id: number
      ics_id: number
      name: string
      slug: string
    }>
    return rows.map((r) => ({ id: r.id, icsId: r.ics_id, name: r.name, slug: r.slug }))
  }

  async findPlace(id: number, executor: Executor = this.db): Promise<PlaceRecord | undefined> {
    const row = (await executor('places').where({ id }).first('id', 'ics_id', 'name', 'slug')) as
      | { id: number; ics_id: number; name: string; slug: string }
      | undefined
    return row && { id: row.id, icsId: row.ics_id, name: row.name, slug: row.slug }
  }

  private organisations(executor: Executor) {
    return executor('organisations as o')
      .join('places as p', 'p.id', 'o.place_id')
      .select('o.id', 'o.place_id', 'p.ics_id', 'o.name', 'o.kind', 'p.name as place_name')
  }

  async listOrganisations(filter: { icsId: number; placeId?: number }): Promise<OrganisationRecord[]> {
    const query = this.organisations(this.db).where('p.ics_id', filter.icsId).orderBy(['p.name', 'o.name'])
    if (filter.placeId !== undefined) query.where('o.place_id', filter.placeId)
    return ((await query) as OrganisationRow[]).map(toOrganisation)
  }

  async findOrganisation(id: number, executor: Executor = this.db): Promise<OrganisationRecord | undefined> {
    const row = (await this.organisations(executor).where('o.id', id).first()) as OrganisationRow | undefined
    return row && toOrganisation(row)
  }
}

interface OrganisationRow {
  id: number
  place_id: number
  ics_id: number
  name: string
  kind: string
  place_name: string
}

function toOrganisation(r: OrganisationRow): OrganisationRecord {
  return { id: r.id, placeId: r.place_id, icsId: r.ics_id, name: r.name, kind: r.kind, placeName: r.place_name }
}
