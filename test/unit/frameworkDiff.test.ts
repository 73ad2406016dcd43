import fs from 'node:fs'
import path from 'node:path'
import { diffFrameworks } from '../../server/framework/diff'
import type { FrameworkDocument } from '../../server/framework/types'

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '../../framework', file), 'utf8')) as FrameworkDocument
const cheshire = read('cheshire-merseyside-2021.json')
const lga = read('lga-15-best-practice-actions.json')

const codes = (doc: FrameworkDocument) => doc.domains.flatMap((d) => d.criteria.map((c) => c.code))

describe('the difference between two framework versions', () => {
  it('finds nothing between a version and itself', () => {
    expect(diffFrameworks(cheshire, structuredClone(cheshire)).unchanged).toBe(true)
  })

  it('lists what changed between the two bundled frameworks', () => {
    const diff = diffFrameworks(cheshire, lga)
    expect(diff.unchanged).toBe(false)
    expect(diff.criteria.added.map((c) => c.code)).toEqual(codes(lga))
    expect(diff.criteria.removed.map((c) => c.code)).toEqual(codes(cheshire))
    expect(diff.criteria.reworded).toEqual([])
    expect(diff.domains.added.map((d) => d.code)).toEqual(['PC', 'PS', 'LI'])
    expect(diff.domains.removed.map((d) => d.code)).toEqual(['AV', 'LC', 'DD', 'GV'])
    expect(diff.framework.map((c) => c.what)).toEqual(['title', 'description'])
    const gateway = diff.readiness.find((r) => r.what === 'gateway criteria')!
    expect(gateway.before).toBe(
      cheshire.readiness.gatewayCriteria
        .map((code) => `${code} ${cheshire.domains.flatMap((d) => d.criteria).find((c) => c.code === code)!.title}`)
        .join('; '),
    )
    expect(gateway.after.split('; ').map((g) => g.split(' ')[0])).toEqual(['PS2', 'LI1', 'LI4'])
    // The same thresholds and outcome names; the outcomes are described in each framework's own words.
    expect(diff.readiness.map((r) => r.what)).toEqual([
      'gateway criteria',
      ...lga.readiness.outcomes
        .filter((o) => cheshire.readiness.outcomes.find((b) => b.level === o.level)!.description !== o.description)
        .map((o) => `outcome ${o.level} (${o.name}) description`),
    ])
  })

  it('lists criteria reworded, moved, added and removed, thresholds and readiness rules', () => {
    const next = structuredClone(cheshire)
    next.version = '2022'
    const [av, lc, dd, gv] = next.domains as [
      FrameworkDocument['domains'][number],
      FrameworkDocument['domains'][number],
      FrameworkDocument['domains'][number],
      FrameworkDocument['domains'][number],
    ]
    av.criteria[0]!.title = 'A clear and shared purpose'
    av.criteria[0]!.descriptors.find((d) => d.level === 3)!.text = 'Partners own one vision and use it.'
    lc.criteria[1]!.threshold = 4
    const moved = dd.criteria.splice(3, 1)[0]!
    gv.criteria.push(moved)
    gv.criteria.splice(4, 1)
    av.criteria.push({ ...structuredClone(av.criteria[1]!), code: 'AV4', title: 'Shared outcomes framework' })
    next.readiness.partialShare = 0.6
    next.readiness.gatewayCriteria = ['DD1', 'DD2', 'GV1']

    const diff = diffFrameworks(cheshire, next)
    expect(diff.framework).toEqual([{ what: 'version', before: '2021', after: '2022' }])
    expect(diff.criteria.added).toEqual([{ code: 'AV4', title: 'Shared outcomes framework', domainTitle: av.title }])
    expect(diff.criteria.removed.map((c) => c.code)).toEqual(['GV5'])
    expect(diff.criteria.reworded).toEqual([
      {
        code: 'AV1',
        title: 'A clear and shared purpose',
        domainTitle: av.title,
        changes: [
          { what: 'title', before: cheshire.domains[0]!.criteria[0]!.title, after: 'A clear and shared purpose' },
          {
            what: 'level 3 (Maturing) descriptor',
            before: cheshire.domains[0]!.criteria[0]!.descriptors.find((d) => d.level === 3)!.text,
            after: 'Partners own one vision and use it.',
          },
        ],
      },
    ])
    expect(diff.criteria.moved).toEqual([{ code: 'DD4', title: moved.title, domainTitle: gv.title, from: dd.title, to: gv.title }])
    expect(diff.thresholds).toEqual([{ code: 'LC2', title: lc.criteria[1]!.title, domainTitle: lc.title, before: 3, after: 4 }])
    expect(diff.readiness.map((r) => [r.what, r.before, r.after.split('; ').length])).toEqual([
      ['share of criteria partial delegation needs', '50%', 1],
      ['gateway criteria', expect.stringContaining('GV3'), 3],
    ])
  })
})
