import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createViewEngine, layoutInputs, viewsDirectory } from '../../server/views/engine'

describe('view engine', () => {
  let dir: string
  const write = (name: string, source: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), source)
  }
  const render = (engine: ReturnType<typeof createViewEngine>, name: string, locals: object = {}) =>
    new Promise<string>((resolve, reject) =>
      engine(path.join(dir, name), locals, (error, html) => (error ? reject(error) : resolve(html!))),
    )

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-views-'))
    write('layout.ejs', '[<%= title %>: <%- body %>]')
  })
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('wraps a page in the layout, unless the page asks for none', async () => {
    write('pages/a.ejs', 'hello <%= name %>')
    const engine = createViewEngine({ cache: true, directory: dir })
    expect(await render(engine, 'pages/a.ejs', { title: 'T', name: '<b>' })).toBe('[T: hello &lt;b&gt;]')
    expect(await render(engine, 'pages/a.ejs', { layout: false, name: 'N' })).toBe('hello N')
  })

  it('compiles a view and its includes once when caching (npm start), and again at each render without (npm run dev)', async () => {
    write('pages/a.ejs', "first <%= name %> <%- include('../partials/p') %>")
    write('partials/p.ejs', 'p1')
    const cached = createViewEngine({ cache: true, directory: dir })
    const uncached = createViewEngine({ cache: false, directory: dir })
    expect(await render(cached, 'pages/a.ejs', { layout: false, name: 'A' })).toBe('first A p1')
    expect(await render(uncached, 'pages/a.ejs', { layout: false, name: 'A' })).toBe('first A p1')
    write('pages/a.ejs', "second <%= name %> <%- include('../partials/p') %>")
    write('partials/p.ejs', 'p2')
    expect(await render(cached, 'pages/a.ejs', { layout: false, name: 'B' })).toBe('first B p1')
    expect(await render(uncached, 'pages/a.ejs', { layout: false, name: 'B' })).toBe('second B p2')
  })

  it('finds an include beside the including view first, then in the views directory, also by a rooted name', async () => {
    write('pages/a.ejs', "<%- include('b') %>|<%- include('partials/p') %>|<%- include('/partials/p') %>")
    write('pages/b.ejs', 'beside')
    write('partials/p.ejs', 'shared')
    write('pages/partials/p.ejs', 'local')
    expect(await render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false })).toBe('beside|local|shared')
  })

  it('gives an include the includer’s locals plus its own, without changing the includer’s', async () => {
    write('pages/a.ejs', "<%- include('/partials/p', { who: 'inner' }) %> <%= who %> <%- include('/partials/q') %>")
    write('partials/p.ejs', "<%= who %>/<%= shared %>/<%- include('/partials/q') %>")
    write('partials/q.ejs', '<%= typeof locals.who === "string" ? who : "none" %>')
    expect(
      await render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false, who: 'outer', shared: 'S' }),
    ).toBe('inner/S/inner outer outer')
  })

  it('takes back what an include was given once it has rendered, and when it fails', async () => {
    write(
      'pages/a.ejs',
      "<%- include('/partials/p', { who: 'inner', extra: 'E' }) %>|<%= typeof locals.extra %>|<%= locals.who %>|" +
        "<% try { %><%- include('/partials/bad', { who: 'failing', extra: 'F' }) %><% } catch (e) { %>caught<% } %>|<%= typeof locals.extra %>|<%= locals.who %>",
    )
    write('partials/p.ejs', '<%= who %>/<%= extra %>')
    write('partials/bad.ejs', '<% throw new Error(who) %>')
    expect(await render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false, who: 'outer' })).toBe(
      'inner/E|undefined|outer|caught|undefined|outer',
    )
  })

  it('renders an include with its includer’s own locals, never a new object made on them', async () => {
    // An object made a prototype on every request keeps the page's data alive in V8 until a full
    // collection (see engine.ts): an include's locals must have no prototype, as the page's have none.
    write('pages/a.ejs', "<%= Object.getPrototypeOf(locals) === null %> <%- include('/partials/p', { x: 1 }) %>")
    write('partials/p.ejs', "<%= Object.getPrototypeOf(locals) === null %> <%- include('/partials/q') %>")
    write('partials/q.ejs', '<%= Object.getPrototypeOf(locals) === null %>')
    expect(await render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false })).toBe('true true true')
  })

  it('keeps Object.prototype out of a template’s locals', async () => {
    write('pages/a.ejs', "<%= typeof locals.hasOwnProperty %> <%- include('/partials/p', { x: 1 }) %>")
    write('partials/p.ejs', '<%= typeof locals.constructor %>')
    expect(await render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false })).toBe('undefined undefined')
  })

  it('renders a page body once per pageCacheKey, and the layout around it every time', async () => {
    write('pages/a.ejs', 'body <%= name %>')
    const cached = createViewEngine({ cache: true, directory: dir })
    expect(await render(cached, 'pages/a.ejs', { title: 'one', name: 'A', pageCacheKey: 'k1' })).toBe('[one: body A]')
    expect(await render(cached, 'pages/a.ejs', { title: 'two', name: 'B', pageCacheKey: 'k1' })).toBe('[two: body A]')
    expect(await render(cached, 'pages/a.ejs', { title: 'two', name: 'B', pageCacheKey: 'k2' })).toBe('[two: body B]')
    expect(await render(cached, 'pages/a.ejs', { title: 'two', name: 'C' })).toBe('[two: body C]')
    const uncached = createViewEngine({ cache: false, directory: dir })
    expect(await render(uncached, 'pages/a.ejs', { title: 'one', name: 'A', pageCacheKey: 'k1' })).toBe('[one: body A]')
    expect(await render(uncached, 'pages/a.ejs', { title: 'one', name: 'B', pageCacheKey: 'k1' })).toBe('[one: body B]')
  })

  it('fails the render, naming the include, when it does not exist', async () => {
    write('pages/a.ejs', "<%- include('missing') %>")
    await expect(render(createViewEngine({ cache: true, directory: dir }), 'pages/a.ejs', { layout: false })).rejects.toThrow(/missing/)
  })

  it('keeps the layout around a body by its inputs: another value of any of them renders it again', async () => {
    write('layout.ejs', '[<%= title %>|<%= locals.currentUser ? currentUser.name : "nobody" %>|<%= locals.csrfToken %>: <%- body %>]')
    write('pages/a.ejs', 'body <%= name %>')
    const cached = createViewEngine({ cache: true, directory: dir })
    expect(await render(cached, 'pages/a.ejs', { title: 'T', name: 'A' })).toBe('[T|nobody|: body A]')
    expect(await render(cached, 'pages/a.ejs', { title: 'T', name: 'B' })).toBe('[T|nobody|: body B]')
    expect(await render(cached, 'pages/a.ejs', { title: 'T', name: 'B', currentUser: { name: 'Ada' }, csrfToken: 'one' })).toBe(
      '[T|Ada|one: body B]',
    )
    expect(await render(cached, 'pages/a.ejs', { title: 'T', name: 'B', currentUser: { name: 'Bo' }, csrfToken: 'one' })).toBe(
      '[T|Bo|one: body B]',
    )
    expect(await render(cached, 'pages/a.ejs', { title: 'T', name: 'C', currentUser: { name: 'Bo' }, csrfToken: 'two' })).toBe(
      '[T|Bo|two: body C]',
    )
    expect(await render(cached, 'pages/a.ejs', { title: 'U', name: 'C' })).toBe('[U|nobody|: body C]')
  })

  it('is told every local the real layout, header and footer read (a new one would be kept stale)', () => {
    // The app's own locals, the same on every page, and what the templates declare or EJS gives them.
    const constant = ['serviceName', 'assetUrl', 'bootScript', 'body', 'include', 'locals']
    const javascript = new Set([
      'const',
      'let',
      'of',
      'for',
      'if',
      'else',
      'true',
      'false',
      'null',
      'undefined',
      'typeof',
      'in',
      'length',
      'startsWith',
    ])
    const used = new Set<string>()
    for (const file of ['layout.ejs', 'partials/header.ejs', 'partials/footer.ejs']) {
      const source = fs.readFileSync(path.join(viewsDirectory, file), 'utf8')
      expect(source).not.toMatch(/include\((?!'partials\/(header|footer)')/)
      // The template's code, without its strings and object literal keys.
      const code = [...source.matchAll(/<%[-=_]?([\s\S]*?)[-_]?%>/g)]
        .map((m) => m[1]!.replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '').replace(/([{,]\s*)[A-Za-z_$][\w$]*\s*:/g, '$1'))
        .join('\n')
      const declared = new Set([...code.matchAll(/\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!))
      for (const [name] of code.matchAll(/(?<![.\w$])[A-Za-z_$][\w$]*/g)) if (!declared.has(name)) used.add(name)
      for (const [, name] of code.matchAll(/\blocals\.([A-Za-z_$][\w$]*)/g)) used.add(name!)
    }
    const unknown = [...used].filter(
      (name) => !javascript.has(name) && !constant.includes(name) && !(layoutInputs as readonly string[]).includes(name),
    )
    expect(unknown).toEqual([])
    // And every input is really read, so the list stays true.
    for (const name of layoutInputs) expect(used).toContain(name)
  })
})
