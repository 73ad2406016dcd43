import type { FrameworkCriterionDocument, FrameworkDocument } from './types'

/**
 * What changed between two framework versions, for people deciding whether a new version is
 * the one to run a round on: criteria added, removed, reworded or moved between domains;
 * thresholds; and the readiness rules. Criteria are matched by their code, which is what
 * results, trends and development actions follow from one round to the next.
 */

export interface TextChange {
  /** What changed, in words: "title", "description", "level 3 (Maturing) descriptor". */
  what: string
  before: string
  after: string
}

export interface CriterionRef {
  code: string
  title: string
  domainTitle: string
}

export interface FrameworkDiff {
  /** Title, version label and description of the framework itself. */
  framework: TextChange[]
  levels: TextChange[]
  domains: {
    added: Array<{ code: string; title: string }>
    removed: Array<{ code: string; title: string }>
    changed: Array<{ code: string; changes: TextChange[] }>
  }
  criteria: {
    added: CriterionRef[]
    removed: CriterionRef[]
    reworded: Array<CriterionRef & { changes: TextChange[] }>
    moved: Array<CriterionRef & { from: string; to: string }>
  }
  /** Criteria in both versions whose threshold (their own, or the default) differs. */
  thresholds: Array<CriterionRef & { before: number; after: number }>
  readiness: TextChange[]
  unchanged: boolean
}

interface Located {
  criterion: FrameworkCriterionDocument
  domainCode: string
  domainTitle: string
}

function criteriaByCode(doc: FrameworkDocument): Map<string, Located> {
  return new Map(
    doc.domains.flatMap((d) => d.criteria.map((c) => [c.code, { criterion: c, domainCode: d.code, domainTitle: d.title }] as const)),
  )
}

function change(what: string, before: string | undefined, after: string | undefined): TextChange[] {
  return (before ?? '') === (after ?? '') ? [] : [{ what, before: before ?? '', after: after ?? '' }]
}

function levelName(doc: FrameworkDocument, level: number): string {
  return doc.levels.find((l) => l.value === level)?.name ?? String(level)
}

function describeLevel(doc: FrameworkDocument, level: number): string {
  return `${level} (${levelName(doc, level)})`
}

export function diffFrameworks(before: FrameworkDocument, after: FrameworkDocument): FrameworkDiff {
  const framework = [
    ...change('title', before.title, after.title),
    ...change('version', before.version, after.version),
    ...change('description', before.description, after.description),
  ]

  const levels: TextChange[] = []
  const levelValues = [...new Set([...before.levels, ...after.levels].map((l) => l.value))].sort((a, b) => a - b)
  for (const value of levelValues) {
    const b = before.levels.find((l) => l.value === value)
    const a = after.levels.find((l) => l.value === value)
    if (!b) levels.push({ what: `level ${value}`, before: '', after: `${a!.name} (added)` })
    else if (!a) levels.push({ what: `level ${value}`, before: b.name, after: '(removed)' })
    else
      levels.push(
        ...change(`level ${value} name`, b.name, a.name),
        ...change(`level ${value} (${a.name}) description`, b.description, a.description),
      )
  }

  const beforeDomains = new Map(before.domains.map((d) => [d.code, d]))
  const afterDomains = new Map(after.domains.map((d) => [d.code, d]))
  const domains: FrameworkDiff['domains'] = {
    added: after.domains.filter((d) => !beforeDomains.has(d.code)).map((d) => ({ code: d.code, title: d.title })),
    removed: before.domains.filter((d) => !afterDomains.has(d.code)).map((d) => ({ code: d.code, title: d.title })),
    changed: after.domains
      .filter((d) => beforeDomains.has(d.code))
      .map((d) => {
        const b = beforeDomains.get(d.code)!
        return { code: d.code, changes: [...change('title', b.title, d.title), ...change('description', b.description, d.description)] }
      })
      .filter((d) => d.changes.length > 0),
  }

  const beforeCriteria = criteriaByCode(before)
  const afterCriteria = criteriaByCode(after)
  const ref = (l: Located): CriterionRef => ({ code: l.criterion.code, title: l.criterion.title, domainTitle: l.domainTitle })
  const criteria: FrameworkDiff['criteria'] = {
    added: [...afterCriteria.values()].filter((l) => !beforeCriteria.has(l.criterion.code)).map(ref),
    removed: [...beforeCriteria.values()].filter((l) => !afterCriteria.has(l.criterion.code)).map(ref),
    reworded: [],
    moved: [],
  }
  const thresholds: FrameworkDiff['thresholds'] = []
  for (const a of afterCriteria.values()) {
    const b = beforeCriteria.get(a.criterion.code)
    if (!b) continue
    const changes = [
      ...change('title', b.criterion.title, a.criterion.title),
      ...change('description', b.criterion.description, a.criterion.description),
    ]
    for (const level of after.levels.map((l) => l.value)) {
      const textBefore = b.criterion.descriptors.find((d) => d.level === level)?.text
      const textAfter = a.criterion.descriptors.find((d) => d.level === level)?.text
      changes.push(...change(`level ${describeLevel(after, level)} descriptor`, textBefore, textAfter))
    }
    if (changes.length > 0) criteria.reworded.push({ ...ref(a), changes })
    if (b.domainCode !== a.domainCode) criteria.moved.push({ ...ref(a), from: b.domainTitle, to: a.domainTitle })
    const thresholdBefore = b.criterion.threshold ?? before.readiness.defaultThreshold
    const thresholdAfter = a.criterion.threshold ?? after.readiness.defaultThreshold
    if (thresholdBefore !== thresholdAfter) thresholds.push({ ...ref(a), before: thresholdBefore, after: thresholdAfter })
  }

  const rb = before.readiness
  const ra = after.readiness
  const gatewayList = (doc: FrameworkDocument, codes: string[]) =>
    codes.map((code) => `${code}${criteriaByCode(doc).get(code) ? ` ${criteriaByCode(doc).get(code)!.criterion.title}` : ''}`).join('; ')
  const readiness: TextChange[] = [
    ...change('default threshold', describeLevel(before, rb.defaultThreshold), describeLevel(after, ra.defaultThreshold)),
    ...change('evidence needed to meet a threshold', rb.evidenceRequired ? 'yes' : 'no', ra.evidenceRequired ? 'yes' : 'no'),
    ...change(
      'share of criteria partial delegation needs',
      `${Math.round(rb.partialShare * 100)}%`,
      `${Math.round(ra.partialShare * 100)}%`,
    ),
    ...change('gateway criteria', gatewayList(before, rb.gatewayCriteria), gatewayList(after, ra.gatewayCriteria)),
    ...change(
      'lowest level a gateway criterion may be at',
      describeLevel(before, rb.gatewayMinimumLevel),
      describeLevel(after, ra.gatewayMinimumLevel),
    ),
  ]
  for (const outcome of ra.outcomes) {
    const b = rb.outcomes.find((o) => o.level === outcome.level)
    readiness.push(
      ...change(`outcome ${outcome.level} name`, b?.name, outcome.name),
      ...change(`outcome ${outcome.level} (${outcome.name}) description`, b?.description, outcome.description),
    )
  }

  const unchanged =
    framework.length +
      levels.length +
      domains.added.length +
      domains.removed.length +
      domains.changed.length +
      criteria.added.length +
      criteria.removed.length +
      criteria.reworded.length +
      criteria.moved.length +
      thresholds.length +
      readiness.length ===
    0
  return { framework, levels, domains, criteria, thresholds, readiness, unchanged }
}
