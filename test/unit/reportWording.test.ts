import { fileName, joinAnd, shorten } from '../../server/reports/wording'

describe('report wording', () => {
  it('leaves short text as it is, with its whitespace made single spaces', () => {
    expect(shorten('  Joint health\n\nand wellbeing   strategy. ', 100)).toBe('Joint health and wellbeing strategy.')
  })

  it('shortens at the end of a sentence when one ends late enough, without an ellipsis', () => {
    const text =
      'The partnership board meets monthly. Terms of reference were agreed in June. A risk share is being drafted with the council.'
    expect(shorten(text, 90)).toBe('The partnership board meets monthly. Terms of reference were agreed in June.')
  })

  it('otherwise shortens at a word, with an ellipsis, never longer than asked', () => {
    const text = 'Population health intelligence pack (JSNA and primary care data) used to set three priorities for reducing inequalities'
    const short = shorten(text, 60)
    expect(short).toBe('Population health intelligence pack (JSNA and primary care…')
    expect(short.length).toBeLessThanOrEqual(60)
  })

  it('joins names as a sentence does', () => {
    expect(joinAnd([])).toBe('')
    expect(joinAnd(['Halton'])).toBe('Halton')
    expect(joinAnd(['Halton', 'Knowsley', 'Wirral'])).toBe('Halton, Knowsley and Wirral')
  })

  it('makes a file name of plain letters, digits and hyphens, accents dropped', () => {
    expect(fileName('Ynys Môn', 'place report', 'Self-assessment, October 2021')).toBe(
      'ynys-mon-place-report-self-assessment-october-2021.pdf',
    )
    expect(fileName('…')).toBe('report.pdf')
  })
})
