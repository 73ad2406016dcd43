import { levelLabel, levelName, levelNames } from '../../server/framework/levels'

describe('level names', () => {
  const scale = {
    levels: [
      { value: 1, name: 'Emerging' },
      { value: 2, name: 'Developing' },
      { value: 3, name: 'Maturing' },
      { value: 4, name: 'Thriving' },
    ],
  }

  it('writes a level by name, or with its number, one way everywhere', () => {
    expect(levelName(scale, 3)).toBe('Maturing')
    expect(levelLabel(scale, 3)).toBe('3 – Maturing')
    expect(levelLabel(scale, null, 'No level')).toBe('No level')
    expect(levelLabel(scale, undefined)).toBe('')
    expect(levelLabel(scale, 7)).toBe('7')
    expect(levelNames(scale)).toEqual({ 1: 'Emerging', 2: 'Developing', 3: 'Maturing', 4: 'Thriving' })
  })
})
