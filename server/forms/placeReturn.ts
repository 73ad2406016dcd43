import { z } from 'zod'
import type { ActionStatus } from '../data/placeReturns'
import { asText, choice, isoDateText, joinDateParts, level, optionalId, optionalText, requiredText } from './fields'

const notSure = 'not-sure'

/**
 * The place lead's agreed position on one criterion: a level or "Not sure yet", the rationale, an
 * evidence summary; and `next`, the criterion its "Save and go to" button leads to, which must be
 * one of the round's criteria (anything else is left out, and the page goes back to the list).
 */
export function positionForm(levelCount: number, criterionCode: string, criterionCodes: readonly string[] = []) {
  const missing = `Select the place’s agreed level for ${criterionCode}, or Not sure yet`
  return z
    .object({
      level: z.union([z.preprocess(asText, z.literal(notSure)), level(levelCount, missing)], { error: missing }),
      rationale: requiredText({ missing: 'Enter the rationale for the agreed level', label: 'Rationale', max: 5000 }),
      evidenceSummary: optionalText({ label: 'Evidence summary', max: 5000 }),
      next: z
        .preprocess(
          asText,
          z.string().refine((code) => criterionCodes.includes(code)),
        )
        .optional()
        .catch(undefined),
    })
    .transform(({ level, rationale, evidenceSummary, next }) => ({
      level: level === notSure ? null : level,
      notSure: level === notSure,
      rationale,
      evidenceSummary: evidenceSummary || null,
      next,
    }))
}

export type PositionInput = Omit<z.output<ReturnType<typeof positionForm>>, 'next'>

/** The ICS lead's moderated level for a criterion, with a comment; "none" removes the moderation. */
export function moderationForm(levelCount: number) {
  const missing = 'Select the moderated level'
  return z
    .object({
      moderationLevel: z.union([z.preprocess(asText, z.literal('none')), level(levelCount, missing)], { error: missing }),
      moderationComment: optionalText({ label: 'Comment', max: 5000 }),
    })
    .superRefine(({ moderationLevel, moderationComment }, ctx) => {
      if (moderationLevel !== 'none' && !moderationComment)
        ctx.addIssue({ code: 'custom', message: 'Enter a comment explaining the moderation', path: ['moderationComment'] })
    })
    .transform(({ moderationLevel, moderationComment }) => ({
      level: moderationLevel === 'none' ? null : moderationLevel,
      comment: moderationComment,
    }))
}

export type ModerationInput = z.output<ReturnType<typeof moderationForm>>

export const moderationFieldIds = { moderationLevel: 'moderation-level', moderationComment: 'moderation-comment' }

/** The ICS lead reopens a submitted place return, saying why. */
export const reopenReturnForm = z.object({
  reason: requiredText({ missing: 'Enter the reason for reopening the place return', label: 'Reason', max: 1000 }),
})

export const reopenReturnFieldIds = { reason: 'reopen-reason' }

/**
 * The delegation decision. Whether a reason for differing from the recommendation is needed
 * depends on the recommendation, so the service checks that.
 */
export const decisionForm = z.preprocess(
  (body) => joinDateParts(body, 'decidedOn'),
  z.object({
    decisionLevel: choice(['1', '2', '3'], 'Select the delegation level decided').transform(Number),
    decisionRationale: requiredText({ missing: 'Enter the rationale for the decision', label: 'Rationale', max: 5000 }),
    decidedOn: isoDateText('Enter the date of the decision as a real date'),
    decidingBody: requiredText({ missing: 'Enter the body that made the decision, such as ICB Board', label: 'Deciding body', max: 200 }),
    differenceReason: optionalText({ label: 'Reason', max: 5000 }),
  }),
)

export type DecisionInput = z.output<typeof decisionForm>

export const decisionFieldIds = {
  decisionLevel: 'decision-level',
  decisionRationale: 'decision-rationale',
  decidedOn: 'decidedOn-day',
  decidingBody: 'decision-body',
  differenceReason: 'decision-difference',
}

export const actionStatusValues = ['not_started', 'in_progress', 'done'] as const satisfies readonly ActionStatus[]

/** A development plan action. Whether its criterion and owner belong to the place is the service's check. */
export const actionForm = z.object({
  criterionCode: requiredText({ missing: 'Select the criterion the action is for', label: 'Criterion', max: 20 }),
  description: requiredText({ missing: 'Enter what the action is', label: 'Action', max: 2000 }),
  ownerOrganisationId: optionalId('Select an owner from the place’s partners'),
  dueDate: isoDateText('Enter the due date as a real date'),
  status: choice(actionStatusValues, 'Select the status'),
})

export type ActionInput = z.output<typeof actionForm>

export const actionFieldIds = {
  criterionCode: 'action-criterion',
  description: 'action-description',
  ownerOrganisationId: 'action-owner',
  dueDate: 'action-due',
  status: 'action-status',
}
