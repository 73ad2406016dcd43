import { formatCalendarDate, formatDate } from '../time/london'

/**
 * The words reports share: dates as people in England read them, levels with their names,
 * where a level came from, and text shortened at a sentence or word boundary.
 */

/** A moment as its day in London: "29 October 2021". */
export const londonDate = formatDate

/** A date-only value (YYYY-MM-DD) as written: "12 November 2021". */
export const calendarDate = formatCalendarDate

export function levelText(levelNames: Record<number, string>, level: number | null): string {
  if (level === null) return 'No level'
  return `${level} ${levelNames[level] ?? ''}`.trim()
}

export function outcomeText(outcomeNames: Record<1 | 2 | 3, string>, level: 1 | 2 | 3): string {
  return `Level ${level} – ${outcomeNames[level]}`
}

export const sourceText = {
  moderation: 'ICS moderation',
  place: 'Place agreed',
  partners: 'Partners’ median',
  none: 'None yet',
} as const

/**
 * Shortens text to at most `max` characters, ending at a sentence if one ends in the last
 * third, else at a word, with an ellipsis; whitespace and line breaks become single spaces.
 */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= max) return flat
  const cut = flat.slice(0, max - 1)
  const sentenceEnd = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '))
  if (sentenceEnd > max * 0.66) return cut.slice(0, sentenceEnd + 1)
  const wordEnd = cut.lastIndexOf(' ')
  return `${(wordEnd > max * 0.5 ? cut.slice(0, wordEnd) : cut).replace(/[,;:–-]$/, '')}…`
}

/** "1 place", "3 places". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** "a, b and c". */
export function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

/** A file name from a title: "wirral-place-report-october-2021.pdf". */
export function fileName(...parts: string[]): string {
  const slug = parts
    .join(' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120)
  return `${slug || 'report'}.pdf`
}
