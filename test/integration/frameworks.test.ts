import fs from 'node:fs'
import path from 'node:path'
import { timestamp } from '../../server/db/values'
import type { FrameworkDocument } from '../../server/framework/types'
import {
  FrameworkService,
  FrameworkValidationError,
  FrameworkVersionLockedError,
  frameworkDirectory,
} from '../../server/services/frameworkService'
import { countRows } from '../helpers/counts'
import { createTestDatabase, type TestDatabase } from '../helpers/database'

const file = path.join(frameworkDirectory, 'cheshire-merseyside-2021.json')
const text = fs.readFileSync(file, 'utf8')
const document = (): FrameworkDocument => JSON.parse(text) as FrameworkDocument

describe('framework versions', () => {
  let database: TestDatabase
  let frameworks: FrameworkService

  beforeEach(async () => {
    database = await createTestDatabase()
    frameworks = new FrameworkService(database.db)
  })
  afterEach(() => database.destroy())

  it('imports a file as a version with its domains and criteria', async () => {
    const { version, created } = await frameworks.importFile(file)
    expect(created).toBe(true)
    expect(version.slug).toBe('cheshire-merseyside-place-development')
    expect(version.contentHash).toMatch(/^[0-9a-f]{64}$/)
    const criteria = await frameworks.criteria(version.id)
    expect(criteria).toHaveLength(16)
    expect(criteria.filter((c) => c.isGateway).map((c) => c.code)).toEqual(['DD1', 'DD2', 'GV1', 'GV3'])
    expect(criteria.every((c) => c.threshold === 3 && c.descriptors.length === 4)).toBe(true)
  })

  it('gives one version when the same content is loaded twice, even with keys reordered', async () => {
    const first = await frameworks.importFile(file)
    const second = await frameworks.importFile(file)
    const reordered = Object.fromEntries(Object.entries(document()).reverse())
    const third = await frameworks.import(reordered)
    expect(second.created).toBe(false)
    expect(third.created).toBe(false)
    expect(second.version.id).toBe(first.version.id)
    expect(third.version.id).toBe(first.version.id)
    expect(await countRows(database.db, 'framework_versions')).toBe(1)
    expect(await countRows(database.db, 'framework_criteria')).toBe(16)
  })

  it('makes a new version of the same framework when the content differs', async () => {
    const first = await frameworks.importFile(file)
    const changed = document()
    changed.version = '2022'
    changed.domains[0]!.criteria[0]!.descriptors[0]!.text = 'A revised descriptor.'
    const second = await frameworks.import(changed)
    expect(second.created).toBe(true)
    expect(second.version.id).not.toBe(first.version.id)
    expect(second.version.frameworkId).toBe(first.version.frameworkId)
  })

  it('rejects an invalid file without writing anything', async () => {
    const broken = document() as unknown as Record<string, unknown>
    delete broken.levels
    await expect(frameworks.import(broken)).rejects.toThrow(FrameworkValidationError)
    expect(await database.db('framework_versions').first()).toBeUndefined()
    expect(await database.db('frameworks').first()).toBeUndefined()
  })

  it('lets an unused version change, but never one that a round uses', async () => {
    const { version } = await frameworks.importFile(file)
    const corrected = document()
    corrected.domains[0]!.criteria[0]!.title = 'Clarity of purpose and shared vision'
    const updated = await frameworks.updateVersion(version.id, corrected)
    expect(updated.id).toBe(version.id)
    expect((await frameworks.criteria(version.id))[0]!.title).toBe('Clarity of purpose and shared vision')

    const [ics] = (await database.db('ics').insert({ name: 'Test ICS', slug: 'test', created_at: timestamp() }, ['id'])) as Array<{
      id: number
    }>
    await database.db('rounds').insert({
      ics_id: ics!.id,
      framework_version_id: version.id,
      title: 'Round one',
      opens_at: timestamp(),
      closes_at: timestamp(new Date(Date.now() + 86_400_000)),
      created_at: timestamp(),
    })
    const again = document()
    again.domains[0]!.criteria[0]!.title = 'Something else'
    await expect(frameworks.updateVersion(version.id, again)).rejects.toThrow(FrameworkVersionLockedError)
    expect((await frameworks.criteria(version.id))[0]!.title).toBe('Clarity of purpose and shared vision')
  })
})
