import fs from 'node:fs'
import path from 'node:path'
import ejs from 'ejs'
import fc from 'fast-check'
import { compileTemplate, escapeHtml, namesInCode } from '../../server/views/compile'
import { viewsDirectory } from '../../server/views/engine'

function viewFiles(directory: string): string[] {
  return fs
    .readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? viewFiles(path.join(directory, entry.name))
        : entry.name.endsWith('.ejs')
          ? [path.join(directory, entry.name)]
          : [],
    )
}

// EJS's own compiling, with `with`; unsafePrototypeLocals (not in @types/ejs) as the app has it.
const ejsDefaults = { unsafePrototypeLocals: true } as ejs.Options

/** Compiled as the app compiles it, and as EJS does by default (with `with`), rendered with the same locals. */
function both(source: string, locals: Record<string, unknown>): { ours: string; ejs: string; withStatement: boolean } {
  const compiled = compileTemplate(source, '/views/test.ejs', '/views')
  return {
    ours: compiled.template({ ...locals }),
    ejs: (ejs.compile(source, ejsDefaults) as (l: object) => string)({ ...locals }),
    withStatement: compiled.withStatement,
  }
}

describe('templates compiled without `with`', () => {
  it('compiles every view without `with`', () => {
    const files = viewFiles(viewsDirectory)
    expect(files.length).toBeGreaterThan(50)
    const withStatement = files.filter((file) => compileTemplate(fs.readFileSync(file, 'utf8'), file, viewsDirectory).withStatement)
    expect(withStatement.map((file) => path.relative(viewsDirectory, file))).toEqual([])
  })

  it('renders what EJS renders: locals, globals, the template’s own variables, spreads and loops', () => {
    const source = [
      '<%# a comment naming notALocal %>',
      '<% const total = items.reduce((sum, item) => sum + item.count, 0) %>',
      '<h1><%= title %></h1><p><%= JSON.stringify({ total }) %> <%= Number(total).toFixed(1) %></p>',
      '<% for (const item of [...items, ...extra]) { const label = item.name + " (" + item.count + ")" %><li><%= label %></li><% } %>',
      "<% let shown = 0; items.forEach((i) => { shown += i.count > 1 ? 1 : 0 }) %><%= shown %> <%= 'it\\'s ' + typeof missing %>",
      '<% if (locals.note) { %><%- note %><% } %><%= date.getUTCFullYear() %> <%= 1e3 + 0x1f %>',
    ].join('\n')
    const locals = {
      title: 'A & B <"quoted"> it\'s',
      items: [
        { name: 'one', count: 1 },
        { name: 'two', count: 2 },
      ],
      extra: [{ name: '<three>', count: 3 }],
      note: '<b>kept</b>',
      date: new Date(Date.UTC(2026, 11, 2)),
    }
    const rendered = both(source, locals)
    expect(rendered.withStatement).toBe(false)
    expect(rendered.ours).toBe(rendered.ejs)
    expect(rendered.ours).toContain('&lt;three&gt; (3)')
  })

  it('prefers a local to a global of the same name, as `with` does', () => {
    const rendered = both('<%= Date %>|<%= Math.max(1, 2) %>', { Date: 'a local called Date' })
    expect(rendered.ours).toBe('a local called Date|2')
    expect(rendered.ours).toBe(rendered.ejs)
  })

  it('finds the names the code reads, not properties, strings, keywords or comments', () => {
    const names = namesInCode('<%# ignored %><% if (a.b && c?.d) { %><%= e[\'f\'] + "g h" + i(...j) %><% } %><%- k %>')
    expect(names.sort()).toEqual(['a', 'c', 'e', 'i', 'j', 'k'])
  })
})

describe('escapeHtml', () => {
  const escapeXML = (ejs as unknown as { escapeXML(value: unknown): string }).escapeXML

  it('escapes exactly as EJS does', () => {
    for (const value of [undefined, null, '', 0, 42, false, 'plain', `&<>"'`, 'a&&b<<c', { toString: () => '<obj>' }, ['<', '>']])
      expect(escapeHtml(value)).toBe(escapeXML(value))
    fc.assert(fc.property(fc.string(), (text) => escapeHtml(text) === escapeXML(text)))
    fc.assert(fc.property(fc.stringMatching(/^[&<>"'a ]*$/), (text) => escapeHtml(text) === escapeXML(text)))
  })
})
