import fs from 'node:fs'
import path from 'node:path'
import { bundledFrameworkFiles, frameworkDirectory } from '../../server/services/frameworkService'
import type { FrameworkDocument } from '../../server/framework/types'
import { parseFramework, toJsonPath, validateFramework } from '../../server/framework/validate'
import { canonicalJson, contentHash } from '../../server/framework/hash'

function loadBundled(file: string): FrameworkDocument {
  return JSON.parse(fs.readFileSync(path.join(frameworkDirectory, file), 'utf8')) as FrameworkDocument
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T

describe('bundled frameworks', () => {
  it.each(bundledFrameworkFiles)('%s is valid', (file) => {
    const result = validateFramework(loadBundled(file))
    expect(result.ok ? [] : result.problems).toEqual([])
  })

  it('the Cheshire and Merseyside framework has the 4 domains and 16 criteria of the 2021 framework', () => {
    const doc = loadBundled('cheshire-merseyside-2021.json')
    expect(doc.domains.map((d) => d.title)).toEqual(['Ambition & vision', 'Leadership & culture', 'Design & delivery', 'Governance'])
    const codes = doc.domains.flatMap((d) => d.criteria.map((c) => c.code))
    expect(codes).toEqual(['AV1', 'AV2', 'AV3', 'LC1', 'LC2', 'LC3', 'LC4', 'DD1', 'DD2', 'DD3', 'DD4', 'GV1', 'GV2', 'GV3', 'GV4', 'GV5'])
    expect(doc.levels.map((l) => l.name)).toEqual(['Emerging', 'Developing', 'Maturing', 'Thriving'])
    expect(doc.readiness.gatewayCriteria).toEqual(['DD1', 'DD2', 'GV1', 'GV3'])
    for (const criterion of doc.domains.flatMap((d) => d.criteria)) {
      expect(criterion.descriptors.map((d) => d.level)).toEqual([1, 2, 3, 4])
    }
  })

  it('the LGA framework has three groups of five actions', () => {
    const doc = loadBundled('lga-15-best-practice-actions.json')
    expect(doc.domains.map((d) => d.criteria.length)).toEqual([5, 5, 5])
  })
})

describe('framework validation', () => {
  const valid = loadBundled('cheshire-merseyside-2021.json')

  it('reports a syntax error at the root', () => {
    const result = parseFramework('{ "slug": ')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.problems[0]!.path).toBe('$')
  })

  it('reports every schema problem with its JSON path', () => {
    const broken = clone(valid) as unknown as Record<string, any>
    delete broken.title
    broken.domains[1].criteria[2].code = 'not a code'
    delete broken.domains[3].criteria[0].descriptors[1].text
    broken.domains[0].colour = 'blue'
    broken.readiness.partialShare = 2
    const result = validateFramework(broken)
    expect(result.ok).toBe(false)
    if (result.ok) return
    const paths = result.problems.map((p) => p.path)
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.title',
        '$.domains[1].criteria[2].code',
        '$.domains[3].criteria[0].descriptors[1].text',
        '$.domains[0].colour',
        '$.readiness.partialShare',
      ]),
    )
    expect(result.problems.find((p) => p.path === '$.title')!.message).toBe('is required')
    expect(result.problems.find((p) => p.path === '$.domains[0].colour')!.message).toBe('is not a recognised property')
  })

  it('reports duplicate codes, missing descriptors and unknown gateways with their paths', () => {
    const broken = clone(valid)
    broken.domains[2]!.criteria[1]!.code = 'AV1'
    broken.domains[0]!.criteria[0]!.descriptors = broken.domains[0]!.criteria[0]!.descriptors.filter((d) => d.level !== 4)
    broken.readiness.gatewayCriteria = ['DD1', 'ZZ9']
    const result = validateFramework(broken)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { path: '$.domains[2].criteria[1].code', message: 'criterion code "AV1" is already used at $.domains[0].criteria[0]' },
        { path: '$.domains[0].criteria[0].descriptors', message: 'has no descriptor for level 4' },
        { path: '$.readiness.gatewayCriteria[1]', message: '"ZZ9" is not a criterion code in this framework' },
      ]),
    )
  })

  it('rejects levels out of order and thresholds beyond the top level', () => {
    const broken = clone(valid)
    broken.levels[0]!.value = 2
    broken.domains[0]!.criteria[1]!.threshold = 5
    const result = validateFramework(broken)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['$.levels', '$.domains[0].criteria[1].threshold']))
  })

  it('turns JSON pointers into JSONPath', () => {
    expect(toJsonPath('')).toBe('$')
    expect(toJsonPath('/domains/0/criteria/12/title')).toBe('$.domains[0].criteria[12].title')
  })
})

describe('content hash', () => {
  it('ignores key order but not content', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: 2 }] })).toBe('{"a":[2,{"c":2,"d":1}],"b":1}')
    expect(contentHash({ a: 1, b: 2 })).toBe(contentHash({ b: 2, a: 1 }))
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }))
  })
})
