import fs from 'node:fs'
import path from 'node:path'
import type { Database } from '../db/connection'
import { FrameworkData, type CriterionRow, type FrameworkVersion, type FrameworkVersionSummary } from '../data/frameworks'
import { contentHash } from '../framework/hash'
import type { FrameworkDocument, FrameworkProblem } from '../framework/types'
import { parseFramework, validateFramework } from '../framework/validate'

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

export class FrameworkService {
  private readonly data: FrameworkData

  constructor(private readonly db: Database) {
    this.data = new FrameworkData(db)
  }

  /**
   * Validates and imports a framework as an immutable version identified by its content hash.
   * Importing content that is already loaded returns the existing version.
   */
  async import(input: string | unknown): Promise<ImportResult> {
    const result = typeof input === 'string' ? parseFramework(input) : validateFramework(input)
    if (!result.ok) throw new FrameworkValidationError(result.problems)
    const document = result.document
    const hash = hashOf(document)
    return this.db.transaction(async (trx) => {
      const existing = await this.data.findVersionByHash(hash, trx)
      if (existing) return { version: existing, created: false }
      const frameworkId = await this.data.ensureFramework(document.slug, document.title, trx)
      const versionId = await this.data.insertVersion(frameworkId, document, hash, trx)
      const version = await this.data.findVersionByHash(hash, trx)
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
    const result = validateFramework(input)
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
      const clash = await this.data.findVersionByHash(hash, trx)
      if (clash && clash.id !== versionId) {
        throw new FrameworkValidationError([{ path: '$', message: `is identical to version ${clash.id} already loaded` }])
      }
      await this.data.replaceVersion(versionId, result.document, hash, trx)
      const updated = await this.data.findVersionByHash(hash, trx)
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

  /** The newest loaded version of the Cheshire and Merseyside framework. */
  async defaultVersion(): Promise<FrameworkVersion | undefined> {
    return this.data.latestVersion(defaultFrameworkSlug)
  }
}
