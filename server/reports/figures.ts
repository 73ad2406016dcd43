import type { PlaceResults, RoundResults } from '../results'
import type { FigureBlock, ScaleTick } from './model'
import { levelText } from './wording'

/** Charts both reports draw, with alternative text that states what each shows. */

/** The framework's levels as scale ticks: "1 Emerging" .. "4 Thriving". */
export function levelTicks(round: RoundResults): ScaleTick[] {
  return round.framework.document.levels.map((l) => ({ value: l.value, label: `${l.value} ${l.name}` }))
}

/** The threshold most criteria share (Maturing by default), for a reference line. */
export function commonThreshold(round: RoundResults): number | null {
  const tally = new Map<number, number>()
  for (const c of round.framework.criteria) tally.set(c.threshold, (tally.get(c.threshold) ?? 0) + 1)
  const [best] = [...tally.entries()].sort((a, b) => b[1] - a[1])
  return best ? best[0] : null
}

export function domainLevelsFigure(place: PlaceResults, round: RoundResults, caption: string): FigureBlock {
  const names = round.framework.levelNames
  const threshold = commonThreshold(round)
  const thresholdWords =
    threshold === null ? '' : ` The dashed line marks the ${names[threshold] ?? threshold} threshold most criteria have.`
  return {
    kind: 'figure',
    caption,
    alt: `Bar chart of the median maturity level in each domain for ${place.place.name}, on a scale of 1 to ${round.framework.document.levels.length}: ${place.domains
      .map((d) => `${d.title} ${levelText(names, d.level)}, ${d.met} of ${d.criteria} thresholds met`)
      .join('; ')}.${thresholdWords}`,
    chart: {
      type: 'bars',
      scale: { min: 0, max: round.framework.document.levels.length, ticks: levelTicks(round) },
      ...(threshold === null ? {} : { threshold: { value: threshold, label: `Threshold: ${names[threshold] ?? threshold}` } }),
      bars: place.domains.map((d) => ({ label: d.title, value: d.level, valueLabel: levelText(names, d.level) })),
    },
  }
}
