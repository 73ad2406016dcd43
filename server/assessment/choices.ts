import type { FrameworkDocument } from '../framework/types'
import { levelLabel } from '../framework/levels'
import { notSureValue } from './answers'

/** A choice of the answer form, as the radios and select partials take them. */
export interface AnswerChoice {
  value: string
  text: string
  hint?: string
  divider?: string
}

/** What a criterion needs for its level choices: its descriptor for each level. */
export interface CriterionWithDescriptors {
  code: string
  descriptors: Array<{ level: number; text: string }>
}

interface FrameworkChoices {
  levels: Map<string, AnswerChoice[]>
  targets: AnswerChoice[]
}

/**
 * The answer form's choices depend only on the framework version, which is immutable once a
 * round uses it (and then read once per process), so they are made once per framework document
 * instead of on every page: each criterion's levels, with its descriptors as hints, and the
 * target levels. Shared between requests, so nobody may change them.
 */
const byFramework = new WeakMap<FrameworkDocument, FrameworkChoices>()

function choicesOf(framework: FrameworkDocument): FrameworkChoices {
  let choices = byFramework.get(framework)
  if (!choices) {
    choices = {
      levels: new Map(),
      targets: Object.freeze([
        { value: '', text: 'No target set' },
        ...framework.levels.map((l) => ({ value: String(l.value), text: levelLabel(framework, l.value) })),
      ]) as AnswerChoice[],
    }
    byFramework.set(framework, choices)
  }
  return choices
}

/** A criterion's level choices: each level with the criterion's descriptor (else the level's description), then "Not sure yet". */
export function levelChoices(framework: FrameworkDocument, criterion: CriterionWithDescriptors): AnswerChoice[] {
  const levels = choicesOf(framework).levels
  let items = levels.get(criterion.code)
  if (!items) {
    items = Object.freeze([
      ...framework.levels.map((level) => ({
        value: String(level.value),
        text: levelLabel(framework, level.value),
        hint: criterion.descriptors.find((d) => d.level === level.value)?.text ?? level.description,
      })),
      { value: notSureValue, text: 'Not sure yet', divider: 'or' },
    ]) as AnswerChoice[]
    levels.set(criterion.code, items)
  }
  return items
}

/** The target level choices: "No target set", then every level. */
export function targetChoices(framework: FrameworkDocument): AnswerChoice[] {
  return choicesOf(framework).targets
}
