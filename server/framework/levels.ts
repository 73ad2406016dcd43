import type { FrameworkLevel } from './types'

/** A framework's maturity scale (its `levels`): all these need. */
export interface LevelScale {
  levels: Array<Pick<FrameworkLevel, 'value' | 'name'>>
}

/** "Maturing": a level's name on the scale, or '' when it has none. */
export function levelName(scale: LevelScale, value: number | null | undefined): string {
  return scale.levels.find((l) => l.value === value)?.name ?? ''
}

/**
 * "3 – Maturing": how a level is written wherever people read one (pages, the CSV copy, the
 * form's choices). `none` stands for no level at all.
 */
export function levelLabel(scale: LevelScale, value: number | null | undefined, none = ''): string {
  if (value === null || value === undefined) return none
  const name = levelName(scale, value)
  return name ? `${value} – ${name}` : String(value)
}

/** Every level's name by its value, for the readiness engine's explanations. */
export function levelNames(scale: LevelScale): Record<number, string> {
  return Object.fromEntries(scale.levels.map((l) => [l.value, l.name]))
}

export interface LevelWriters {
  levelName: (value: number | null | undefined) => string
  levelLabel: (value: number | null | undefined, none?: string) => string
}

/** One pair of writers per scale (a framework document, read once per process), not per page. */
const writersByScale = new WeakMap<LevelScale, LevelWriters>()

/** The two ways views write levels, for one framework: `levelName(3)` and `levelLabel(3)`. */
export function levelWriters(scale: LevelScale): LevelWriters {
  let writers = writersByScale.get(scale)
  if (!writers) {
    writers = {
      levelName: (value) => levelName(scale, value),
      levelLabel: (value, none) => levelLabel(scale, value, none),
    }
    writersByScale.set(scale, writers)
  }
  return writers
}
