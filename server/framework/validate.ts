import Ajv2020, { type ErrorObject } from 'ajv/dist/2020'
import schema from '../../framework/framework.schema.json'
import type { FrameworkDocument, FrameworkProblem } from './types'

export const frameworkSchema = schema

const ajv = new Ajv2020({ allErrors: true, strict: true })
const validateShape = ajv.compile<FrameworkDocument>(schema)

/** `/domains/0/criteria/2` -> `$.domains[0].criteria[2]` */
export function toJsonPath(pointer: string): string {
  if (pointer === '') return '$'
  return (
    '$' +
    pointer
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
  )
}

function describeSchemaError(error: ErrorObject): FrameworkProblem {
  const at = toJsonPath(error.instancePath)
  switch (error.keyword) {
    case 'required':
      return { path: `${at === '$' ? '$' : at}.${String(error.params.missingProperty)}`, message: 'is required' }
    case 'additionalProperties':
      return {
        path: `${at}.${String(error.params.additionalProperty)}`,
        message: 'is not a recognised property',
      }
    case 'type':
      return { path: at, message: `must be ${String(error.params.type)}` }
    default:
      return { path: at, message: error.message ?? 'is not valid' }
  }
}

/**
 * Rules a JSON Schema cannot express: unique codes, one descriptor per level, gateway codes
 * that exist. Run only once the shape is right, so every path here is safe to follow.
 */
function checkConsistency(doc: FrameworkDocument): FrameworkProblem[] {
  const problems: FrameworkProblem[] = []
  const levelValues = doc.levels.map((l) => l.value)
  const expected = doc.levels.map((_, i) => i + 1)
  if (levelValues.join(',') !== expected.join(',')) {
    problems.push({ path: '$.levels', message: `level values must be 1 to ${doc.levels.length} in order, lowest first` })
  }
  const maxLevel = doc.levels.length
  const domainCodes = new Map<string, number>()
  const criterionCodes = new Map<string, string>()
  doc.domains.forEach((domain, d) => {
    const domainPath = `$.domains[${d}]`
    if (domainCodes.has(domain.code)) {
      problems.push({ path: `${domainPath}.code`, message: `domain code "${domain.code}" is used more than once` })
    }
    domainCodes.set(domain.code, d)
    domain.criteria.forEach((criterion, c) => {
      const criterionPath = `${domainPath}.criteria[${c}]`
      if (criterionCodes.has(criterion.code)) {
        problems.push({
          path: `${criterionPath}.code`,
          message: `criterion code "${criterion.code}" is already used at ${criterionCodes.get(criterion.code)}`,
        })
      } else {
        criterionCodes.set(criterion.code, criterionPath)
      }
      if (criterion.threshold !== undefined && criterion.threshold > maxLevel) {
        problems.push({ path: `${criterionPath}.threshold`, message: `must be a level from 1 to ${maxLevel}` })
      }
      const described = criterion.descriptors.map((x) => x.level)
      criterion.descriptors.forEach((descriptor, i) => {
        if (descriptor.level > maxLevel) {
          problems.push({
            path: `${criterionPath}.descriptors[${i}].level`,
            message: `must be a level from 1 to ${maxLevel}`,
          })
        } else if (described.indexOf(descriptor.level) !== i) {
          problems.push({
            path: `${criterionPath}.descriptors[${i}].level`,
            message: `level ${descriptor.level} is described more than once`,
          })
        }
      })
      for (const level of expected) {
        if (!described.includes(level)) {
          problems.push({ path: `${criterionPath}.descriptors`, message: `has no descriptor for level ${level}` })
        }
      }
    })
  })
  const rules = doc.readiness
  if (rules.defaultThreshold > maxLevel) {
    problems.push({ path: '$.readiness.defaultThreshold', message: `must be a level from 1 to ${maxLevel}` })
  }
  if (rules.gatewayMinimumLevel > maxLevel) {
    problems.push({ path: '$.readiness.gatewayMinimumLevel', message: `must be a level from 1 to ${maxLevel}` })
  }
  rules.gatewayCriteria.forEach((code, i) => {
    if (!criterionCodes.has(code)) {
      problems.push({ path: `$.readiness.gatewayCriteria[${i}]`, message: `"${code}" is not a criterion code in this framework` })
    }
  })
  const outcomeLevels = rules.outcomes.map((o) => o.level).join(',')
  if (outcomeLevels !== '1,2,3') {
    problems.push({ path: '$.readiness.outcomes', message: 'must list outcome levels 1, 2 and 3 in order' })
  }
  return problems
}

export type ValidationResult = { ok: true; document: FrameworkDocument } | { ok: false; problems: FrameworkProblem[] }

/** Validates an already-parsed framework document, reporting every problem with its JSON path. */
export function validateFramework(input: unknown): ValidationResult {
  if (!validateShape(input)) {
    const problems = (validateShape.errors ?? []).map(describeSchemaError)
    return { ok: false, problems: dedupe(problems) }
  }
  const problems = checkConsistency(input)
  return problems.length > 0 ? { ok: false, problems } : { ok: true, document: input }
}

/** Parses and validates framework JSON text; a syntax error is reported at `$`. */
export function parseFramework(text: string): ValidationResult {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (error) {
    return { ok: false, problems: [{ path: '$', message: `is not valid JSON: ${(error as Error).message}` }] }
  }
  return validateFramework(input)
}

function dedupe(problems: FrameworkProblem[]): FrameworkProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.path} ${p.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
