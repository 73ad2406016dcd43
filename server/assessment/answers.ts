import { createHash } from 'node:crypto'
import type { FormError } from '../forms/errors'

/**
 * The rules of a partner's answer, as pure functions: how a posted form becomes answers,
 * what a draft may hold, and what a domain needs before it can be marked complete.
 */

export const maxEvidenceLength = 5000
export const maxSupportLength = 5000
export const notSureValue = 'not-sure'

export interface CriterionForAnswer {
  code: string
  title: string
  domainCode: string
}

/** One criterion's answer as typed: strings, exactly as they will be shown again. */
export interface TypedAnswer {
  level: string
  evidence: string
  support: string
  target: string
  /** The answer version the form was based on ('0' when there was no answer yet). */
  version: string
  /** A fingerprint of the answer the form was based on, to tell whether the user changed it. */
  base: string
}

/** One criterion's answer as stored. */
export interface AnswerValue {
  level: number | null
  notSure: boolean
  evidence: string | null
  supportNeeded: string | null
  targetLevel: number | null
}

export const fieldIds = {
  level: (code: string) => `level-${code}`,
  evidence: (code: string) => `evidence-${code}`,
  support: (code: string) => `support-${code}`,
  target: (code: string) => `target-${code}`,
  version: (code: string) => `version-${code}`,
  base: (code: string) => `base-${code}`,
}

/** A short fingerprint of an answer's content (an absent answer and an empty one are the same). */
export function fingerprint(value: AnswerValue | undefined): string {
  const content = [
    value?.level ?? null,
    value?.notSure ?? false,
    value?.evidence ?? null,
    value?.supportNeeded ?? null,
    value?.targetLevel ?? null,
  ]
  return createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)
}

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  return typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : ''
}

/** Browsers send line breaks as CRLF; counting them as one character matches the character count the user sees. */
function normaliseNewlines(value: string): string {
  return value.replace(/\r\n/g, '\n')
}

export function readTypedAnswers(body: Record<string, unknown>, criteria: CriterionForAnswer[]): Map<string, TypedAnswer> {
  const typed = new Map<string, TypedAnswer>()
  for (const { code } of criteria) {
    typed.set(code, {
      level: text(body, fieldIds.level(code)),
      evidence: normaliseNewlines(text(body, fieldIds.evidence(code))),
      support: normaliseNewlines(text(body, fieldIds.support(code))),
      target: text(body, fieldIds.target(code)),
      version: text(body, fieldIds.version(code)) || '0',
      base: text(body, fieldIds.base(code)),
    })
  }
  return typed
}

export function typedFromValue(value: AnswerValue | undefined, version: number): TypedAnswer {
  return {
    level: value?.notSure ? notSureValue : value?.level ? String(value.level) : '',
    evidence: value?.evidence ?? '',
    support: value?.supportNeeded ?? '',
    target: value?.targetLevel ? String(value.targetLevel) : '',
    version: String(version),
    base: fingerprint(value),
  }
}

/** Whether a typed answer says anything at all (an untouched criterion is not saved). */
export function isBlank(typed: TypedAnswer): boolean {
  return typed.level === '' && typed.evidence.trim() === '' && typed.support.trim() === '' && typed.target === ''
}

const label = (c: CriterionForAnswer) => `${c.code} ${c.title}`

/**
 * Errors that stop any save, even of a draft: choices that are not on the form, and text
 * that is too long. Turns the typed answers into values when there are none.
 */
export function checkDraft(
  typed: Map<string, TypedAnswer>,
  criteria: CriterionForAnswer[],
  levelCount: number,
): { errors: FormError[]; values: Map<string, AnswerValue> } {
  const errors: FormError[] = []
  const values = new Map<string, AnswerValue>()
  const isLevel = (v: string) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= levelCount
  for (const criterion of criteria) {
    const t = typed.get(criterion.code)!
    const { code } = criterion
    if (t.level !== '' && t.level !== notSureValue && !isLevel(t.level)) {
      errors.push({ text: `Select a maturity level for ${label(criterion)}, or Not sure yet`, href: `#${fieldIds.level(code)}` })
    }
    if (t.evidence.length > maxEvidenceLength) {
      errors.push({
        text: `Evidence for ${code} must be ${maxEvidenceLength.toLocaleString('en-GB')} characters or fewer – you have ${t.evidence.length.toLocaleString('en-GB')}`,
        href: `#${fieldIds.evidence(code)}`,
      })
    }
    if (t.support.length > maxSupportLength) {
      errors.push({
        text: `Support you would need for ${code} must be ${maxSupportLength.toLocaleString('en-GB')} characters or fewer – you have ${t.support.length.toLocaleString('en-GB')}`,
        href: `#${fieldIds.support(code)}`,
      })
    }
    if (t.target !== '' && !isLevel(t.target)) {
      errors.push({ text: `Select a target level for ${code}, or leave it blank`, href: `#${fieldIds.target(code)}` })
    } else if (t.target !== '' && isLevel(t.level) && Number(t.target) < Number(t.level)) {
      errors.push({
        text: `Target level for ${code} must be the same as or higher than the level you chose`,
        href: `#${fieldIds.target(code)}`,
      })
    }
    values.set(code, {
      level: isLevel(t.level) ? Number(t.level) : null,
      notSure: t.level === notSureValue,
      evidence: t.evidence.trim() === '' ? null : t.evidence,
      supportNeeded: t.support.trim() === '' ? null : t.support,
      targetLevel: isLevel(t.target) ? Number(t.target) : null,
    })
  }
  return { errors, values }
}

/**
 * What a domain needs before it can be marked complete: every criterion has a level or
 * Not sure yet, and a level at or above Maturing (the delegation threshold) has evidence.
 */
export function checkComplete(values: Map<string, AnswerValue>, criteria: CriterionForAnswer[], evidenceFromLevel = 3): FormError[] {
  const errors: FormError[] = []
  for (const criterion of criteria) {
    const value = values.get(criterion.code)
    if (!value || (value.level === null && !value.notSure)) {
      errors.push({ text: `Select a maturity level for ${label(criterion)}, or Not sure yet`, href: `#${fieldIds.level(criterion.code)}` })
    } else if (value.level !== null && value.level >= evidenceFromLevel && !value.evidence?.trim()) {
      errors.push({
        text: `Enter the evidence for ${criterion.code} – evidence is needed for a level of Maturing or above`,
        href: `#${fieldIds.evidence(criterion.code)}`,
      })
    }
  }
  return errors
}

export function sameValue(a: AnswerValue | undefined, b: AnswerValue | undefined): boolean {
  return fingerprint(a) === fingerprint(b)
}

export function isAnswered(value: AnswerValue | undefined): boolean {
  return Boolean(value && (value.level !== null || value.notSure))
}
