import { parseFrameworkText } from '../../server/data/frameworks'

describe('framework texts parsed once per process', () => {
  it('gives every reader of the same text the same object, frozen to the last level', () => {
    const text = JSON.stringify({ levels: [{ value: 1, name: 'Emerging' }], domains: [] })
    const first = parseFrameworkText<{ levels: Array<{ value: number; name: string }> }>(text)
    expect(parseFrameworkText(`${text}`)).toBe(first)
    expect(first.levels[0]).toEqual({ value: 1, name: 'Emerging' })
    expect(Object.isFrozen(first.levels[0])).toBe(true)
    expect(() => {
      first.levels[0]!.name = 'Changed'
    }).toThrow(TypeError)
  })

  it('parses another text afresh', () => {
    expect(parseFrameworkText<{ a: number }>('{"a":1}')).not.toBe(parseFrameworkText('{"a":2}'))
  })
})
