import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import express, { type Response } from 'express'
import { BoundedCache } from '../../server/boundedCache'
import { createViewEngine } from '../../server/views/engine'
import { formTokenMarker, keptFragment, keptRows, withFormToken } from '../../server/views/fragments'

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

describe('keptRows: a table’s rows, each rendered once per the values its key names', () => {
  let dir: string
  const appWith = (cache: boolean) => {
    const app = express()
    app.engine('ejs', createViewEngine({ cache, directory: dir }))
    app.set('view engine', 'ejs')
    app.set('views', dir)
    app.set('view cache', cache)
    return app
  }
  const writeRow = (source: string) => fs.writeFileSync(path.join(dir, 'row.ejs'), source)

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-rows-'))
    fs.writeFileSync(path.join(dir, 'layout.ejs'), '<%- body %>')
  })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('renders each row once, and again only when a value its key names changes', async () => {
    writeRow('<%= ++counter.n %>:<%= r.name %>;')
    const app = appWith(true)
    const counter = { n: 0 }
    const store = new BoundedCache<string, string>(10)
    const rows = [
      { id: 1, name: 'Ann' },
      { id: 2, name: '<Bo>' },
    ]
    const parts = { view: 'row', as: 'r', key: (r: { id: number; name: string }) => [r.id, r.name], locals: { counter } }
    expect(await keptRows(app, store, rows, parts)).toBe('1:Ann;2:&lt;Bo&gt;;')
    expect(await keptRows(app, store, rows, parts)).toBe('1:Ann;2:&lt;Bo&gt;;')
    expect(await keptRows(app, store, [rows[0]!, { id: 2, name: 'Bea' }], parts)).toBe('1:Ann;3:Bea;')
    expect(await keptRows(app, store, [], parts)).toBe('')
  })

  it('renders every row every time without the view cache (npm run dev)', async () => {
    writeRow('<%= ++counter.n %>;')
    const app = appWith(false)
    const counter = { n: 0 }
    const store = new BoundedCache<string, string>(10)
    const parts = { view: 'row', as: 'r', key: (r: { id: number }) => [r.id], locals: { counter } }
    await keptRows(app, store, [{ id: 1 }], parts)
    expect(await keptRows(app, store, [{ id: 1 }], parts)).toBe('2;')
    expect(store.size).toBe(0)
  })

  it('puts each response’s own form token in a row kept with the marker, escaped', async () => {
    writeRow('<input name="_csrf" value="<%= locals.csrfToken %>">')
    const app = appWith(true)
    const store = new BoundedCache<string, string>(10)
    const kept = await keptRows(app, store, [{ id: 1 }], {
      view: 'row',
      as: 'r',
      key: (r) => [r.id],
      locals: { csrfToken: formTokenMarker },
    })
    expect(kept).toBe(`<input name="_csrf" value="${formTokenMarker}">`)
    const responseWith = (token: string) => ({ locals: { csrfToken: token } }) as unknown as Response
    expect(withFormToken(kept, responseWith('token-of-one'))).toBe('<input name="_csrf" value="token-of-one">')
    expect(withFormToken(kept, responseWith('a"b&'))).toBe('<input name="_csrf" value="a&#34;b&amp;">')
    expect(withFormToken('<p>no form</p>', responseWith('x'))).toBe('<p>no form</p>')
  })
})
