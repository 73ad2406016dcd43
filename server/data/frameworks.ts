import type { Knex } from 'knex'
import { compiledRead } from '../db/compiledRead'
import type { Database } from '../db/connection'
import { timestamp, toBoolean, toDate, toDateOrNull } from '../db/values'
import type { FrameworkDescriptor, FrameworkDocument } from '../framework/types'

export type Executor = Knex | Knex.Transaction

export interface FrameworkVersionSummary {
  id: number
  frameworkId: number
  slug: string
  title: string
  versionLabel: string
  contentHash: string
  createdAt: Date
  lockedAt: Date | null
  /** The ICS that uploaded it; null for the frameworks that ship with PlaceReady (everyone's). */
  ownerIcsId: number | null
  basedOnVersionId: number | null
}

/** A version as the framework list shows it: with how many rounds use it and its criteria counted. */
export interface FrameworkVersionListing extends FrameworkVersionSummary {
  rounds: number
  criteria: number
}

export interface VersionOrigin {
  ownerIcsId: number | null
  basedOnVersionId?: number | null
  createdBy?: number | null
}

export interface CriterionRow {
  id: number
  code: string
  title: string
  description: string
  domainCode: string
  threshold: number
  isGateway: boolean
  position: number
  descriptors: FrameworkDescriptor[]
}

export interface FrameworkVersion extends FrameworkVersionSummary {
  document: FrameworkDocument
}

interface VersionRecord {
  id: number
  framework_id: number
  slug: string
  title: string
  version_label: string
  content_hash: string
  created_at: unknown
  locked_at: unknown
  owner_ics_id: number | null
  based_on_version_id: number | null
  document?: string
}

const readLatestContentHash = compiledRead<{ slug: string }, { content_hash: string }>(
  (db, { slug }) =>
    db('framework_versions as v')
      .join('frameworks as f', 'f.id', 'v.framework_id')
      .where('f.slug', slug)
      .whereNull('v.owner_ics_id')
      .orderBy('v.id', 'desc')
      .first('v.content_hash'),
  ['slug'],
)

const versionColumns = [
  'v.id',
  'v.framework_id',
  'f.slug',
  'f.title',
  'v.version_label',
  'v.content_hash',
  'v.created_at',
  'v.locked_at',
  'v.owner_ics_id',
  'v.based_on_version_id',
]

function toSummary(row: VersionRecord): FrameworkVersionSummary {
  return {
    id: row.id,
    frameworkId: row.framework_id,
    slug: row.slug,
    title: row.title,
    versionLabel: row.version_label,
    contentHash: row.content_hash,
    createdAt: toDate(row.created_at),
    lockedAt: toDateOrNull(row.locked_at),
    ownerIcsId: row.owner_ics_id,
    basedOnVersionId: row.based_on_version_id,
  }
}

/** Parsed framework texts by their text, frozen: shared by every reader in the process. */
const parsedFrameworkTexts = new Map<string, unknown>()
const parsedFrameworkTextsLimit = 1000

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

/**
 * A framework document or a criterion's descriptors, from the JSON text stored for it. The
 * same text always means the same content, so each process parses each text once (a whole
 * framework is some 40 KB of JSON, read by every page about a round) and hands every reader
 * the same frozen object.
 */
export function parseFrameworkText<T>(text: string): T {
  let parsed = parsedFrameworkTexts.get(text)
  if (parsed === undefined) {
    if (parsedFrameworkTexts.size >= parsedFrameworkTextsLimit) parsedFrameworkTexts.clear()
    parsed = deepFreeze(JSON.parse(text) as unknown)
    parsedFrameworkTexts.set(text, parsed)
  }
  return parsed as T
}

/** Framework documents by content hash: the same hash is the same content, in every process. */
const documentsByHash = new Map<string, FrameworkDocument>()

/**
 * The document column of a query on `framework_versions as v`, left out (null) for the
 * versions whose document this process already holds, so a page about a round does not copy
 * 40 KB of JSON out of the database to find it already has it. Read it with `documentOf`.
 */
export function documentColumn(executor: Executor): Knex.Raw {
  const known = [...documentsByHash.keys()]
  if (known.length === 0) return executor.raw('v.document')
  return executor.raw(`case when v.content_hash in (${known.map(() => '?').join(', ')}) then null else v.document end as document`, known)
}

/** A version's document, from the text a query with `documentColumn` read, or the one held for its hash. */
export function documentOf(contentHash: string, text: string | null | undefined): FrameworkDocument {
  const held = documentsByHash.get(contentHash)
  if (held) return held
  const document = parseFrameworkText<FrameworkDocument>(text ?? '{}')
  if (text) documentsByHash.set(contentHash, document)
  return document
}

/** The criteria of several framework versions in one query, each version's in framework order. */
export async function criteriaOfVersions(executor: Executor, versionIds: readonly number[]): Promise<Map<number, CriterionRow[]>> {
  const byVersion = new Map<number, CriterionRow[]>(versionIds.map((id) => [id, []]))
  if (versionIds.length === 0) return byVersion
  const rows = (await executor('framework_criteria as c')
    .join('framework_domains as d', 'd.id', 'c.domain_id')
    .whereIn('c.version_id', [...new Set(versionIds)])
    .orderBy([{ column: 'c.version_id' }, { column: 'c.position' }])
    .select('c.id', 'c.version_id', 'c.code', 'c.title', 'c.description', 'd.code as domain_code', 'c.threshold', 'c.is_gateway', 'c.position', 'c.descriptors')) as Array<{
    id: number
    version_id: number
    code: string
    title: string
    description: string
    domain_code: string
    threshold: number
    is_gateway: unknown
    position: number
    descriptors: string
  }>
  for (const r of rows) {
    byVersion.get(r.version_id)?.push({
      id: r.id,
      code: r.code,
      title: r.title,
      description: r.description,
      domainCode: r.domain_code,
      threshold: r.threshold,
      isGateway: toBoolean(r.is_gateway),
      position: r.position,
      descriptors: parseFrameworkText<FrameworkDescriptor[]>(r.descriptors),
    })
  }
  return byVersion
}

export class FrameworkData {
  constructor(private readonly db: Database) {}

  private versions(executor: Executor) {
    return executor('framework_versions as v').join('frameworks as f', 'f.id', 'v.framework_id')
  }

  /** The version with this content that belongs to this owner (null: the bundled ones). */
  async findVersionByHash(hash: string, ownerIcsId: number | null, executor: Executor = this.db): Promise<FrameworkVersionSummary | undefined> {
    const query = this.versions(executor).where('v.content_hash', hash)
    if (ownerIcsId === null) query.whereNull('v.owner_ics_id')
    else query.where('v.owner_ics_id', ownerIcsId)
    const row = (await query.first(versionColumns)) as VersionRecord | undefined
    return row && toSummary(row)
  }

  async getVersion(id: number, executor: Executor = this.db): Promise<FrameworkVersion | undefined> {
    const row = (await this.versions(executor)
      .where('v.id', id)
      .first([...versionColumns, documentColumn(executor)])) as VersionRecord | undefined
    if (!row) return undefined
    return { ...toSummary(row), document: documentOf(row.content_hash, row.document) }
  }

  /** The newest bundled version of a framework, by slug, with its document (an ICS's own versions are its own): one query. */
  async latestVersion(slug: string): Promise<FrameworkVersion | undefined> {
    const row = (await this.versions(this.db)
      .where('f.slug', slug)
      .whereNull('v.owner_ics_id')
      .orderBy('v.id', 'desc')
      .first([...versionColumns, documentColumn(this.db)])) as VersionRecord | undefined
    return row && { ...toSummary(row), document: documentOf(row.content_hash, row.document) }
  }

  /** The content hash of the newest bundled version of a framework, by slug: one read, made on every view of /framework. */
  async latestContentHash(slug: string): Promise<string | undefined> {
    const [row] = await readLatestContentHash(this.db, { slug })
    return row?.content_hash
  }

  /** The newest bundled version of a framework, by slug (versions an ICS uploaded are its own). */
  async latestVersionId(slug: string): Promise<number | undefined> {
    const row = (await this.versions(this.db).where('f.slug', slug).whereNull('v.owner_ics_id').orderBy('v.id', 'desc').first('v.id')) as
      | { id: number }
      | undefined
    return row?.id
  }

  async listVersions(): Promise<FrameworkVersionSummary[]> {
    const rows = (await this.versions(this.db).orderBy([{ column: 'f.title' }, { column: 'v.id', order: 'desc' }]).select(versionColumns)) as VersionRecord[]
    return rows.map(toSummary)
  }

  /** The versions an ICS may use (the bundled ones and its own), with rounds and criteria counted in SQL. */
  async listVisibleVersions(icsId: number): Promise<FrameworkVersionListing[]> {
    const rounds = this.db('rounds as r').whereRaw('r.framework_version_id = v.id').count('*').as('rounds')
    const criteria = this.db('framework_criteria as c').whereRaw('c.version_id = v.id').count('*').as('criteria')
    const rows = (await this.versions(this.db)
      .where((q) => {
        q.whereNull('v.owner_ics_id').orWhere('v.owner_ics_id', icsId)
      })
      .orderBy([{ column: 'f.title' }, { column: 'v.id', order: 'desc' }])
      .select([...versionColumns, rounds, criteria])) as Array<VersionRecord & { rounds: unknown; criteria: unknown }>
    return rows.map((r) => ({ ...toSummary(r), rounds: Number(r.rounds ?? 0), criteria: Number(r.criteria ?? 0) }))
  }

  /** The rounds (of one ICS) that use a version. */
  async roundsUsing(versionId: number, icsId: number): Promise<Array<{ id: number; title: string }>> {
    return (await this.db('rounds').where({ framework_version_id: versionId, ics_id: icsId }).orderBy('id', 'desc').select('id', 'title')) as Array<{
      id: number
      title: string
    }>
  }

  /** Version labels already used by an owner's versions of one framework. */
  async labelsOf(frameworkId: number, ownerIcsId: number | null, executor: Executor = this.db): Promise<string[]> {
    const query = executor('framework_versions').where({ framework_id: frameworkId })
    if (ownerIcsId === null) query.whereNull('owner_ics_id')
    else query.where('owner_ics_id', ownerIcsId)
    return (await query.pluck('version_label')) as string[]
  }

  async unlockIfUnused(versionId: number, executor: Executor): Promise<void> {
    await executor('framework_versions')
      .where({ id: versionId })
      .whereNotExists((q) => {
        q.select(executor.raw('1')).from('rounds').where('framework_version_id', versionId)
      })
      .update({ locked_at: null })
  }

  async criteria(versionId: number, executor: Executor = this.db): Promise<CriterionRow[]> {
    return (await criteriaOfVersions(executor, [versionId])).get(versionId) ?? []
  }

  /** The framework with this slug, made if new; `title` renames it only when given (the bundled frameworks' own title). */
  async ensureFramework(slug: string, title: string, executor: Executor, options: { rename: boolean } = { rename: true }): Promise<number> {
    const existing = (await executor('frameworks').where({ slug }).first('id')) as { id: number } | undefined
    if (existing) {
      if (options.rename) await executor('frameworks').where({ id: existing.id }).update({ title })
      return existing.id
    }
    const [row] = (await executor('frameworks').insert({ slug, title, created_at: timestamp() }, ['id'])) as Array<{ id: number }>
    return row!.id
  }

  async insertVersion(frameworkId: number, document: FrameworkDocument, hash: string, executor: Executor, origin: VersionOrigin = { ownerIcsId: null }): Promise<number> {
    const [row] = (await executor('framework_versions').insert(
      {
        framework_id: frameworkId,
        version_label: document.version,
        content_hash: hash,
        document: JSON.stringify(document),
        created_at: timestamp(),
        owner_ics_id: origin.ownerIcsId,
        based_on_version_id: origin.basedOnVersionId ?? null,
        created_by: origin.createdBy ?? null,
      },
      ['id'],
    )) as Array<{ id: number }>
    const versionId = row!.id
    await this.insertStructure(versionId, document, executor)
    return versionId
  }

  /** Rewrites a version that no round uses yet; the caller has checked it is unlocked. */
  async replaceVersion(versionId: number, document: FrameworkDocument, hash: string, executor: Executor): Promise<void> {
    await executor('framework_criteria').where({ version_id: versionId }).delete()
    await executor('framework_domains').where({ version_id: versionId }).delete()
    await executor('framework_versions')
      .where({ id: versionId })
      .update({ version_label: document.version, content_hash: hash, document: JSON.stringify(document) })
    await this.insertStructure(versionId, document, executor)
  }

  private async insertStructure(versionId: number, document: FrameworkDocument, executor: Executor): Promise<void> {
    const gateways = new Set(document.readiness.gatewayCriteria)
    let criterionPosition = 0
    for (const [domainIndex, domain] of document.domains.entries()) {
      const [domainRow] = (await executor('framework_domains').insert(
        {
          version_id: versionId,
          code: domain.code,
          title: domain.title,
          description: domain.description ?? null,
          position: domainIndex + 1,
        },
        ['id'],
      )) as Array<{ id: number }>
      await executor('framework_criteria').insert(
        domain.criteria.map((criterion) => ({
          version_id: versionId,
          domain_id: domainRow!.id,
          code: criterion.code,
          title: criterion.title,
          description: criterion.description,
          descriptors: JSON.stringify([...criterion.descriptors].sort((a, b) => a.level - b.level)),
          threshold: criterion.threshold ?? document.readiness.defaultThreshold,
          is_gateway: gateways.has(criterion.code),
          position: ++criterionPosition,
        })),
      )
    }
  }

  async isVersionUsedByRound(versionId: number, executor: Executor = this.db): Promise<boolean> {
    const row = await executor('rounds').where({ framework_version_id: versionId }).first('id')
    return row !== undefined
  }

  async lockVersion(versionId: number, executor: Executor): Promise<void> {
    await executor('framework_versions').where({ id: versionId }).whereNull('locked_at').update({ locked_at: timestamp() })
  }
}
