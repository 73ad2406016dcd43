/**
 * The JSON API's response shapes as zod schemas. Each response is parsed through its schema
 * before it is sent (so it can only ever have the documented shape), and the OpenAPI document
 * (openapi.ts) is generated from these same schemas, so the description cannot drift.
 * Dates and times are ISO 8601: instants in UTC ("2021-10-29T16:00:00.000Z"), calendar days as
 * "2021-10-29".
 */
import { z } from 'zod'
import { isRowId } from '../db/values'

/** Every named schema, to become the OpenAPI document's components. */
export const apiRegistry = z.registry<{ id: string; description?: string }>()

const id = z.int().positive()
const instant = z.iso.datetime().describe('An instant, ISO 8601 in UTC')
const day = z.iso.date().describe('A calendar day, ISO 8601')
const level = z.int().min(1).describe('A maturity level (1 = Emerging … 4 = Thriving in the default framework)')
const readinessLevel = z
  .union([z.literal(1), z.literal(2), z.literal(3)])
  .describe('1 = ICB-led, 2 = partial delegation, 3 = full delegation')

export const ApiError = z
  .object({
    error: z.object({
      code: z.string().describe('A stable, machine-readable code: bad_request, unauthorised, not_found, rate_limited, not_implemented'),
      message: z.string().describe('What went wrong, for a person'),
    }),
  })
  .register(apiRegistry, { id: 'Error', description: 'Every error has this shape.' })

const selfLink = z.object({ self: z.string().describe('This resource’s address') })

export const PlaceRef = z.object({ id, name: z.string() }).register(apiRegistry, { id: 'PlaceRef' })

export const Round = z
  .object({
    id,
    title: z.string(),
    state: z.enum(['upcoming', 'open', 'closed']),
    opensAt: instant,
    closesAt: instant,
    extendedUntil: instant.nullable(),
    deadline: instant.describe('When answers stop: the extension if there is one, else the closing time'),
    framework: z.object({ id, versionId: id, slug: z.string(), title: z.string(), version: z.string() }),
    places: z.array(PlaceRef).describe('The places taking part, by name'),
    links: z.object({
      results: z.string(),
      places: z.string().describe('One place of the round: replace {placeId} with a place’s id'),
      answers: z.string(),
      framework: z.string().describe('The exact framework version the round uses'),
      report: z.string(),
    }),
  })
  .register(apiRegistry, { id: 'Round', description: 'An assessment round of the token’s ICS.' })

export const RoundList = z
  .object({ data: z.array(Round), links: selfLink })
  .register(apiRegistry, { id: 'RoundList', description: 'The ICS’s rounds, newest deadline first.' })

const NextStep = z.object({ code: z.string(), title: z.string(), action: z.string().describe('What this criterion needs, in words') })

export const Recommendation = z
  .object({
    level: readinessLevel,
    outcome: z.string(),
    thresholdsMet: z.int().min(0),
    criteria: z.int().min(0),
    partialNeeds: z.int().min(0).describe('How many thresholds partial delegation needs'),
    met: z.array(z.string()).describe('Codes of the criteria whose thresholds are met'),
    unmet: z.array(z.string()),
    blockingGateways: z.array(z.string()).describe('Gateway criteria below the minimum, which rule out partial delegation'),
    explanation: z.array(z.string()).describe('The recommendation explained, sentence by sentence'),
    nextLevel: z
      .object({
        level: z.union([z.literal(2), z.literal(3)]),
        outcome: z.string(),
        required: z.array(NextStep).describe('Every one of these is needed'),
        chooseCount: z.int().min(0).describe('In addition, this many of `choices`'),
        choices: z.array(NextStep),
      })
      .nullable()
      .describe('What it would take to reach the next level; null at full delegation'),
  })
  .register(apiRegistry, { id: 'Recommendation', description: 'The computed readiness recommendation and its explanation.' })

export const Decision = z
  .object({
    level: readinessLevel,
    outcome: z.string(),
    recommendedLevel: readinessLevel.describe('The recommendation when the decision was recorded'),
    rationale: z.string(),
    differenceReason: z.string().nullable().describe('Why the decision differs from the recommendation, when it does'),
    decidedOn: day,
    decidingBody: z.string(),
    recordedAt: instant,
  })
  .register(apiRegistry, { id: 'Decision', description: 'The delegation decision the ICS recorded.' })

const levelSource = z
  .enum(['moderation', 'place', 'partners', 'none'])
  .describe(
    'Where the level came from: the ICS lead’s moderation, the place’s agreed level, the partners’ median rounded down, or none yet',
  )

export const CriterionResult = z
  .object({
    code: z.string(),
    title: z.string(),
    domain: z.string().describe('The domain’s code'),
    isGateway: z.boolean(),
    threshold: level,
    level: level.nullable(),
    levelName: z.string().nullable(),
    source: levelSource,
    hasEvidence: z.boolean(),
    thresholdMet: z.boolean(),
    unmetReason: z.enum(['no-level', 'below-threshold', 'no-evidence']).nullable(),
  })
  .register(apiRegistry, {
    id: 'CriterionResult',
    description: 'One criterion’s level, where it came from, and whether it meets its threshold.',
  })

const Completion = z.object({
  invited: z.int().min(0).describe('Partner organisations of the place'),
  submitted: z.int().min(0),
  inProgress: z.int().min(0),
  notStarted: z.int().min(0),
})

const PlaceReturnState = z.object({
  status: z.enum(['not_started', 'draft', 'submitted']),
  submittedAt: instant.nullable(),
})

const placeResultShape = {
  place: PlaceRef,
  completion: Completion,
  placeReturn: PlaceReturnState,
  recommendation: Recommendation,
  decision: Decision.nullable(),
  criteria: z.array(CriterionResult),
  links: z.object({ self: z.string(), report: z.string() }),
}

export const PlaceResult = z
  .object(placeResultShape)
  .register(apiRegistry, { id: 'PlaceResult', description: 'A place’s results in a round.' })

const RoundSummary = z.object({ id, title: z.string(), state: z.enum(['upcoming', 'open', 'closed']), deadline: instant })

export const RoundResults = z
  .object({ data: z.array(PlaceResult), links: selfLink, round: RoundSummary })
  .register(apiRegistry, { id: 'RoundResults', description: 'Every taking-part place’s results, by place name.' })

export const CriterionDetail = CriterionResult.extend({
  spread: z.object({
    answered: z.int().min(0).describe('Submitted partner answers with a level or “Not sure yet”'),
    notSure: z.int().min(0),
    counts: z.record(z.string(), z.int().min(0)).describe('Submitted answers at each level'),
    lowest: level.nullable(),
    highest: level.nullable(),
    median: level.nullable().describe('Rounded down'),
    disagreement: z.boolean().describe('Partners two or more levels apart'),
  }),
  agreed: z
    .object({
      level: level.nullable(),
      notSure: z.boolean(),
      rationale: z.string(),
      evidenceSummary: z.string().nullable(),
      updatedAt: instant,
    })
    .nullable()
    .describe('The place’s agreed position'),
  moderation: z.object({ level, comment: z.string(), moderatedAt: instant }).nullable().describe('The ICS lead’s moderated level'),
}).register(apiRegistry, {
  id: 'CriterionDetail',
  description: 'A criterion’s result with the partners’ spread, the agreed position and any moderation.',
})

export const PlanAction = z
  .object({
    id,
    criterion: z.string(),
    description: z.string(),
    owner: z.string().nullable(),
    dueDate: day,
    status: z.enum(['not_started', 'in_progress', 'done']),
    overdue: z.boolean(),
    carriedOver: z.boolean().describe('Raised in an earlier round and still in the plan'),
    raisedIn: z.object({ id, title: z.string() }),
  })
  .register(apiRegistry, { id: 'PlanAction', description: 'An action of a place’s development plan.' })

export const PlaceDetail = z
  .object({
    data: z.object({
      ...placeResultShape,
      round: RoundSummary,
      criteria: z.array(CriterionDetail),
      domains: z.array(
        z.object({
          code: z.string(),
          title: z.string(),
          level: level.nullable().describe('Median of its criteria’s levels, rounded down'),
          criteria: z.int().min(0),
          withLevel: z.int().min(0),
          met: z.int().min(0),
        }),
      ),
      plan: z.array(PlanAction),
    }),
    links: selfLink,
  })
  .register(apiRegistry, {
    id: 'PlaceDetail',
    description: 'One place in one round: results, spread, positions, moderation, decision and plan.',
  })

export const Answer = z
  .object({
    criterion: z.string().describe('The criterion’s code'),
    level: level.nullable(),
    notSure: z.boolean(),
    evidence: z.string().nullable(),
    supportNeeded: z.string().nullable(),
    targetLevel: level.nullable(),
    updatedAt: instant,
    updatedBy: z.string().nullable(),
  })
  .register(apiRegistry, { id: 'Answer', description: 'A partner organisation’s saved answer to one criterion.' })

export const RespondentAnswers = z
  .object({
    organisation: z.object({ id, name: z.string(), kind: z.string() }),
    place: PlaceRef,
    response: z.object({
      status: z.enum(['not_started', 'in_progress', 'submitted']),
      submittedAt: instant.nullable(),
      reference: z.string().nullable(),
    }),
    answers: z.array(Answer).describe('Saved answers, in framework order; criteria not yet answered are left out'),
  })
  .register(apiRegistry, { id: 'RespondentAnswers', description: 'One partner organisation’s response to the round.' })

export const AnswerPage = z
  .object({
    data: z.array(RespondentAnswers),
    links: z.object({
      self: z.string(),
      next: z.string().optional().describe('The next page; absent on the last page'),
    }),
  })
  .register(apiRegistry, {
    id: 'AnswerPage',
    description: 'A page of partner organisations with their answers, by place and organisation name.',
  })

export const Framework = z
  .object({
    data: z.object({
      id,
      slug: z.string(),
      title: z.string(),
      versions: z.array(z.object({ id, version: z.string(), createdAt: instant, locked: z.boolean() })).describe('Newest first'),
      version: z.object({
        id,
        version: z.string(),
        description: z.string(),
        levels: z.array(z.object({ value: level, name: z.string(), description: z.string() })),
        domains: z.array(
          z.object({
            code: z.string(),
            title: z.string(),
            description: z.string().nullable(),
            criteria: z.array(
              z.object({
                code: z.string(),
                title: z.string(),
                description: z.string(),
                threshold: level,
                isGateway: z.boolean(),
                descriptors: z.array(z.object({ level, text: z.string() })),
              }),
            ),
          }),
        ),
        readiness: z.object({
          evidenceRequired: z.boolean(),
          partialShare: z.number().describe('Share of thresholds partial delegation needs'),
          gatewayCriteria: z.array(z.string()),
          gatewayMinimumLevel: level,
          outcomes: z.array(z.object({ level: readinessLevel, name: z.string(), description: z.string() })),
        }),
      }),
    }),
    links: selfLink,
  })
  .register(apiRegistry, {
    id: 'Framework',
    description: 'A framework with its versions, and one version in full (the newest unless ?version= says).',
  })

// Parameters

const positiveId = (what: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,9}$/, `${what} must be a positive whole number`)
    .transform(Number)
    .refine(isRowId, `${what} is larger than any id`)
    .describe(`The ${what}`)

export const roundPath = z.object({ roundId: positiveId('round id') })
export const roundPlacePath = z.object({ roundId: positiveId('round id'), placeId: positiveId('place id') })
export const frameworkPath = z.object({ frameworkId: positiveId('framework id') })
export const frameworkQuery = z.object({
  version: positiveId('framework version id')
    .optional()
    .describe('A version of this framework (the id in `versions`); the newest when absent'),
})
export const answersQuery = z.object({
  limit: z
    .string()
    .regex(/^[1-9]\d{0,2}$/, 'limit must be a whole number from 1 to 100')
    .transform(Number)
    .refine((n) => n <= 100, 'limit must be a whole number from 1 to 100')
    .optional()
    .describe('Organisations per page, 1 to 100 (default 20)'),
  cursor: z.string().max(2000).optional().describe('Where the page starts: copy it from links.next, never build it'),
})
export const noParams = z.object({})

export const OpenApiDocument = z
  .record(z.string(), z.unknown())
  .register(apiRegistry, { id: 'OpenApiDocument', description: 'This description of the API (OpenAPI 3.1).' })
