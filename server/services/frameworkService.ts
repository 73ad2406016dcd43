import fs from 'node:fs'
import path from 'node:path'
import { isIcsLead } from '../auth/access'
import type { Actor, CurrentUser } from '../auth/types'
import type { Database } from '../db/connection'
import {
  FrameworkData,
  type CriterionRow,
  type FrameworkVersion,
  type FrameworkVersionListing,
  type FrameworkVersionSummary,
  type VersionOrigin,
} from '../data/frameworks'
import { NotFoundError } from '../errors'
import { diffFrameworks, type FrameworkDiff } from '../framework/diff'
import { contentHash } from '../framework/hash'
import type { FrameworkDocument, FrameworkProblem } from '../framework/types'
import { parseFramework, validateFramework } from '../framework/validate'
import type { AuditService } from './auditService'

export const frameworkDirectory = path.resolve(__dirname, '../../framework')
export const defaultFrameworkSlug = 'cheshire-merseyside-place-development'

/** The framework files that ship with PlaceReady and are loaded at every start. */
export const bundledFrameworkFiles = ['cheshire-merseyside-2021.json', 'lga-15-best-practice-actions.json']

export class FrameworkValidationError extends Error {
  constructor(readonly problems: FrameworkProblem[]) {
    super(`The framework is not valid:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`)
    this.name = 'FrameworkValidationError'
  }
}

export class FrameworkVersionLockedError extends Error {
  constructor(readonly versionId: number) {
    super(`Framework version ${versionId} is used by an assessment round and cannot change; import a new version instead.`)
    this.name = 'FrameworkVersionLockedError'
  }
}

export interface ImportResult {
  version: FrameworkVersionSummary
  /** False when the same content was already loaded: nothing new was written. */
  created: boolean
}

/** The hash ignores the optional `$schema` hint, which says nothing about the content. */
function hashOf(document: FrameworkDocument): string {
  const { $schema: _ignored, ...content } = document as FrameworkDocument & { $schema?: string }
  return contentHash(content)
}

/** The most characters a version label may have (framework.schema.json). */
const maxLabelLength = 40

export class FrameworkService {
  private readonly data: FrameworkData

  constructor(
    private readonly db: Database,
    private readonly audit?: AuditService,
  ) {
    this.data = new FrameworkData(db)
  }

  /**
   * Validates and imports a framework as an immutable version identified by its content hash.
   * Importing content its owner already has returns the existing version. Without an owner the
   * version is a bundled one, everyone's; with one, only that ICS sees it.
   */
  async import(input: string | unknown, origin: VersionOrigin = { ownerIcsId: null }): Promise<ImportResult> {
    const result = typeof input === 'string' ? parseFramework(input) : validateFramework(input)
    if (!result.ok) throw new FrameworkValidationError(result.problems)
    const document = result.document
    const hash = hashOf(document)
    return this.db.transaction(async (trx) => {
      const existing =
        (await this.data.findVersionByHash(hash, origin.ownerIcsId, trx)) ??
        (origin.ownerIcsId === null ? undefined : await this.data.findVersionByHash(hash, null, trx))
      if (existing) return { version: existing, created: false }
      // An ICS's upload never renames a framework others use.
      const frameworkId = await this.data.ensureFramework(document.slug, document.title, trx, { rename: origin.ownerIcsId === null })
      const versionId = await this.data.insertVersion(frameworkId, document, hash, trx, origin)
      const version = await this.data.findVersionByHash(hash, origin.ownerIcsId, trx)
      if (!version || version.id !== versionId) throw new Error('Imported framework version could not be read back')
      return { version, created: true }
    })
  }

  async importFile(file: string): Promise<ImportResult> {
    return this.import(fs.readFileSync(file, 'utf8'))
  }

  async importBundled(): Promise<ImportResult[]> {
    const results: ImportResult[] = []
    for (const file of bundledFrameworkFiles) results.push(await this.importFile(path.join(frameworkDirectory, file)))
    return results
  }

  /**
   * Changes a version's content while no round has used it (for example, correcting a
   * descriptor before the first round). Once a round uses it, it is locked for good.
   */
  async updateVersion(versionId: number, input: unknown): Promise<FrameworkVersionSummary> {
    const result = typeof input === 'string' ? parseFramework(input) : validateFramework(input)
    if (!result.ok) throw new FrameworkValidationError(result.problems)
    const hash = hashOf(result.document)
    return this.db.transaction(async (trx) => {
      const current = await this.data.getVersion(versionId, trx)
      if (!current) throw new Error(`Framework version ${versionId} does not exist`)
      if (current.lockedAt || (await this.data.isVersionUsedByRound(versionId, trx))) {
        throw new FrameworkVersionLockedError(versionId)
      }
      if (current.slug !== result.document.slug) {
        throw new FrameworkValidationError([{ path: '$.slug', message: `must stay "${current.slug}" for this version` }])
      }
      const clash = await this.data.findVersionByHash(hash, current.ownerIcsId, trx)
      if (clash && clash.id !== versionId) {
        throw new FrameworkValidationError([{ path: '$', message: `is identical to version ${clash.versionLabel} already loaded` }])
      }
      await this.data.replaceVersion(versionId, result.document, hash, trx)
      const updated = await this.data.findVersionByHash(hash, current.ownerIcsId, trx)
      return updated!
    })
  }

  getVersion(versionId: number): Promise<FrameworkVersion | undefined> {
    return this.data.getVersion(versionId)
  }

  listVersions(): Promise<FrameworkVersionSummary[]> {
    return this.data.listVersions()
  }

  criteria(versionId: number): Promise<CriterionRow[]> {
    return this.data.criteria(versionId)
  }

  /** The newest bundled version of the Cheshire and Merseyside framework (never an ICS's own draft). */
  async defaultVersion(): Promise<FrameworkVersion | undefined> {
    return this.data.latestVersion(defaultFrameworkSlug)
  }

  /** What identifies the default framework's content (its hash), without reading it. */
  async defaultContentHash(): Promise<string | undefined> {
    return this.data.latestContentHash(defaultFrameworkSlug)
  }

  // The ICS lead's framework pages: every version they may use, and their own uploads and drafts.

  private requireLead(user: CurrentUser, icsId: number): void {
    if (!isIcsLead(user, icsId)) throw new NotFoundError()
  }

  /** The versions an ICS may run rounds on: the bundled ones and its own. */
  async visibleVersions(user: CurrentUser, icsId: number): Promise<FrameworkVersionListing[]> {
    this.requireLead(user, icsId)
    return this.data.listVisibleVersions(icsId)
  }

  /** A version the ICS may see (bundled, or its own), or "not found". */
  async visibleVersion(
    user: CurrentUser,
    icsId: number,
    versionId: number,
  ): Promise<FrameworkVersion & { editable: boolean; rounds: Array<{ id: number; title: string }> }> {
    this.requireLead(user, icsId)
    const version = await this.data.getVersion(versionId)
    if (!version || (version.ownerIcsId !== null && version.ownerIcsId !== icsId)) throw new NotFoundError()
    const rounds = await this.data.roundsUsing(versionId, icsId)
    const used = version.lockedAt !== null || (await this.data.isVersionUsedByRound(versionId))
    return { ...version, rounds, editable: version.ownerIcsId === icsId && !used }
  }

  /** One framework's versions an ICS may see (the bundled ones and its own), newest first: what its API tokens read. */
  async versionsVisibleTo(icsId: number, frameworkId: number): Promise<FrameworkVersionSummary[]> {
    return (await this.data.listVisibleVersions(icsId)).filter((v) => v.frameworkId === frameworkId).sort((a, b) => b.id - a.id)
  }

  /** Whether an ICS may run a round on this version. */
  async isVisibleTo(icsId: number, versionId: number): Promise<boolean> {
    const version = await this.data.getVersion(versionId)
    return version !== undefined && (version.ownerIcsId === null || version.ownerIcsId === icsId)
  }

  /**
   * An ICS lead's upload: checked against the schema and the consistency rules, every problem
   * reported with its JSON path, and nothing created unless there is none.
   */
  async upload(actor: Actor, icsId: number, text: string): Promise<ImportResult> {
    const user = actor.user
    this.requireLead(user, icsId)
    const result = await this.import(text, { ownerIcsId: icsId, createdBy: user.id })
    if (result.created) {
      await this.audit?.record(actor, {
        kind: 'framework.uploaded',
        icsId,
        subjectType: 'framework-version',
        subjectId: result.version.id,
        details: { slug: result.version.slug, version: result.version.versionLabel },
      })
    }
    return result
  }

  /**
   * A new draft version of the ICS's own, copied from a version it may see, with its own label
   * ("2021 draft 2"), to change freely until a round uses it.
   */
  async newDraft(actor: Actor, icsId: number, fromVersionId: number): Promise<FrameworkVersionSummary> {
    const user = actor.user
    const from = await this.visibleVersion(user, icsId, fromVersionId)
    const labels = new Set(await this.data.labelsOf(from.frameworkId, icsId))
    const base = from.document.version.replace(/ draft( \d+)?$/, '')
    let label = ''
    for (let n = 1; !label || labels.has(label); n++) {
      const suffix = n === 1 ? ' draft' : ` draft ${n}`
      label = `${base.slice(0, maxLabelLength - suffix.length)}${suffix}`
    }
    const document: FrameworkDocument = { ...from.document, version: label }
    const { version } = await this.import(document, { ownerIcsId: icsId, basedOnVersionId: from.id, createdBy: user.id })
    await this.audit?.record(actor, {
      kind: 'framework.draft-created',
      icsId,
      subjectType: 'framework-version',
      subjectId: version.id,
      details: { from: from.id, version: label },
    })
    return version
  }

  /** Replaces the content of the ICS's own draft (while no round uses it). */
  async changeDraft(actor: Actor, icsId: number, versionId: number, text: string): Promise<FrameworkVersionSummary> {
    const user = actor.user
    const version = await this.visibleVersion(user, icsId, versionId)
    if (version.ownerIcsId !== icsId) throw new NotFoundError()
    const updated = await this.updateVersion(versionId, text)
    await this.audit?.record(actor, {
      kind: 'framework.draft-changed',
      icsId,
      subjectType: 'framework-version',
      subjectId: versionId,
      details: { version: updated.versionLabel },
    })
    return updated
  }

  /** What changed from one version to another, both of which the ICS may see. */
  async compare(
    user: CurrentUser,
    icsId: number,
    fromId: number,
    toId: number,
  ): Promise<{ from: FrameworkVersion; to: FrameworkVersion; diff: FrameworkDiff }> {
    const [from, to] = [await this.visibleVersion(user, icsId, fromId), await this.visibleVersion(user, icsId, toId)]
    return { from, to, diff: diffFrameworks(from.document, to.document) }
  }
}
