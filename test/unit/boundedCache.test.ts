import { BoundedCache } from '../../server/dashboard/boundedCache'

describe('the bounded cache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new BoundedCache<string, number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1) // a is now the most recently used
    cache.set('c', 3)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe(1)
    expect(cache.get('c')).toBe(3)
    expect(cache.size).toBe(2)
    cache.set('a', 4)
    expect(cache.get('a')).toBe(4)
    expect(cache.size).toBe(2)
  })
})
