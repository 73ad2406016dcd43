import { BoundedCache } from '../../server/boundedCache'

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

  it('makes a shared value once for callers that ask while it is being made, and keeps no failure', async () => {
    const cache = new BoundedCache<string, Promise<number>>(2)
    let made = 0
    const make = async () => {
      made += 1
      await new Promise((resolve) => setImmediate(resolve))
      return made
    }
    expect(await Promise.all([cache.shared('a', make), cache.shared('a', make), cache.shared('a', make)])).toEqual([1, 1, 1])
    expect(made).toBe(1)
    await expect(cache.shared('b', () => Promise.reject(new Error('no')))).rejects.toThrow('no')
    await new Promise((resolve) => setImmediate(resolve))
    expect(cache.get('b')).toBeUndefined()
    expect(await cache.shared('b', make)).toBe(2)
  })
})
