import express from 'express'
import { BoundedCache } from '../../server/dashboard/boundedCache'
import { keptFragment } from '../../server/views/fragments'

describe('keptFragment: a part of a page rendered once per key', () => {
  const counting = () => {
    let renders = 0
    return { render: () => Promise.resolve(`<p>part ${++renders}</p>`), renders: () => renders }
  }

  it('renders once per key with the view cache (npm start), and again for another key', async () => {
    const app = express()
    app.enable('view cache')
    const store = new BoundedCache<string, string>(10)
    const part = counting()
    expect(await keptFragment(app, store, 'v1', part.render)).toBe('<p>part 1</p>')
    expect(await keptFragment(app, store, 'v1', part.render)).toBe('<p>part 1</p>')
    expect(await keptFragment(app, store, 'v2', part.render)).toBe('<p>part 2</p>')
    expect(part.renders()).toBe(2)
  })

  it('keeps a part with the object it shows (a WeakMap store)', async () => {
    const app = express()
    app.enable('view cache')
    const store = new WeakMap<object, string>()
    const [results, newer] = [{}, {}]
    const part = counting()
    await keptFragment(app, store, results, part.render)
    await keptFragment(app, store, results, part.render)
    expect(await keptFragment(app, store, newer, part.render)).toBe('<p>part 2</p>')
  })

  it('renders every time without the view cache (npm run dev), so an edited template shows at once', async () => {
    const app = express()
    app.disable('view cache')
    const store = new BoundedCache<string, string>(10)
    const part = counting()
    await keptFragment(app, store, 'v1', part.render)
    expect(await keptFragment(app, store, 'v1', part.render)).toBe('<p>part 2</p>')
    expect(store.get('v1')).toBeUndefined()
  })
})
