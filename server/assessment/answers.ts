import crypto from 'node:crypto'
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
  return sha256(JSON.stringify(content)).slice(0, 22)
}

/**
 * SHA-256 in base64url. crypto.hash does it in one call, about a fifth of the time of a Hash
 * object (a save fingerprints each answer of its domain); Node 20 before 20.12 lacks it.
 */
const sha256: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url')

/** Browsers send line breaks as CRLF; counting them as one character matches the character count the user sees. */
function normaliseNewlines(value: string): string {
  return value.replace(/\r\n/g, '\n')
}

const fieldLabels: Record<keyof typeof fieldIds, string> = {
  level: 'The level',
  evidence: 'The evidence',
  support: 'The support you would need',
  target: 'The target level',
  version: 'The version',
  base: 'The version',
}

/** What an answer form held, read field by field, with a message for every field that was not one piece of text. */
export interface AnswerForm {
  typed: Map<string, TypedAnswer>
  /** Fields sent twice or as something other than text: the save stops, nothing changes. */
  errors: FormError[]
  /** Criteria none of whose fields were sent: they are not part of this save and stay as they are. */
  untouched: Set<string>
}

/**
 * Reads a domain's answers from a posted form or an autosave's JSON. Every field must be one
 * piece of text: a number, a list or a nested object is never turned into something else (an
 * empty answer would silently wipe what is saved), but reported. (A field sent twice in a form
 * is refused before it gets here, by the body rule.)
 */
export function readAnswerForm(body: Record<string, unknown>, criteria: CriterionForAnswer[]): AnswerForm {
  const typed = new Map<string, TypedAnswer>()
  const errors: FormError[] = []
  const untouched = new Set<string>()
  for (const { code } of criteria) {
    let sent = false
    const read = (field: keyof typeof fieldIds): string => {
      const name = fieldIds[field](code)
      const value = body[name]
      if (value === undefined) return ''
      sent = true
      if (typeof value === 'string') return value
      const href = `#${field === 'version' || field === 'base' ? fieldIds.level(code) : name}` as const
      errors.push({ text: `${fieldLabels[field]} for ${code} was not sent as text – reload the page and try again`, href })
      // Shown again as sent where it can be, so nothing typed is lost from the page.
      return typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : Array.isArray(value)
          ? value.map(String).join('\n')
          : ''
    }
    const answer: TypedAnswer = {
      level: read('level'),
      evidence: normaliseNewlines(read('evidence')),
      support: normaliseNewlines(read('support')),
      target: read('target'),
      version: read('version') || '0',
      base: read('base'),
    }
    if (!/^\d{1,9}$/.test(answer.version)) {
      errors.push({
        text: `The version of ${code} is not one this page sent – reload the page and try again`,
        href: `#${fieldIds.level(code)}`,
      })
      answer.version = '0'
    }
    typed.set(code, answer)
    if (!sent) untouched.add(code)
  }
  return { typed, errors, untouched }
}

/** The typed answers alone, for showing a kept form again (its problems are reported when it is saved). */
export function readTypedAnswers(body: Record<string, unknown>, criteria: CriterionForAnswer[]): Map<string, TypedAnswer> {
  return readAnswerForm(body, criteria).typed
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

/** Whether two answers hold the same (an absent answer and an empty one are the same), as their fingerprints would tell, without hashing. */
export function sameValue(a: AnswerValue | undefined, b: AnswerValue | undefined): boolean {
  return (
    (a?.level ?? null) === (b?.level ?? null) &&
    (a?.notSure ?? false) === (b?.notSure ?? false) &&
    (a?.evidence ?? null) === (b?.evidence ?? null) &&
    (a?.supportNeeded ?? null) === (b?.supportNeeded ?? null) &&
    (a?.targetLevel ?? null) === (b?.targetLevel ?? null)
  )
}

export function isAnswered(value: AnswerValue | undefined): boolean {
  return Boolean(value && (value.level !== null || value.notSure))
}
