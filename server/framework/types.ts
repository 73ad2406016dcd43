/** The shape of a framework file (see framework/framework.schema.json). */
export interface FrameworkLevel {
  value: number
  name: string
  description: string
}

export interface FrameworkDescriptor {
  level: number
  text: string
}

export interface FrameworkCriterionDocument {
  code: string
  title: string
  description: string
  threshold?: number
  descriptors: FrameworkDescriptor[]
}

export interface FrameworkDomainDocument {
  code: string
  title: string
  description?: string
  criteria: FrameworkCriterionDocument[]
}

export interface ReadinessOutcome {
  level: 1 | 2 | 3
  name: string
  description: string
}

export interface ReadinessRules {
  defaultThreshold: number
  evidenceRequired: boolean
  partialShare: number
  gatewayCriteria: string[]
  gatewayMinimumLevel: number
  outcomes: ReadinessOutcome[]
}

export interface FrameworkDocument {
  slug: string
  title: string
  version: string
  source?: string
  description: string
  levels: FrameworkLevel[]
  domains: FrameworkDomainDocument[]
  readiness: ReadinessRules
}

export interface FrameworkProblem {
  /** Where in the document, as a JSONPath such as `$.domains[0].criteria[2].code`. */
  path: string
  message: string
}
