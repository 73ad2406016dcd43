import ejs from 'ejs'

export type Template = (locals: object) => string

/**
 * Compiles an EJS template to a function that reads its locals once, at the start, instead of
 * through `with (locals) { … }`, EJS's default.
 *
 * Why: inside `with`, every name the template's code uses (its own variables, EJS's output
 * buffer, each local) is looked up first on the locals object and along its prototype chain
 * (an include's locals sit on its includer's). V8 cannot optimise that: a form field's partial
 * took 13 µs with `with` and 2 µs without, and a page runs dozens of them.
 *
 * Without `with`, each name the code uses that it does not declare itself must be taken from
 * the locals first. They are found by reading the code between `<%` and `%>`: every identifier
 * that is not a keyword, a property after a dot, or inside a quoted string. Taking a name the
 * template never reads as a local costs one lookup and changes nothing. A name the template
 * declares at its top level cannot also be taken (JavaScript says so when compiling): it is
 * dropped and the template compiled again. A name that is also a global (JSON, Number, Date)
 * is taken from the locals when they have it and from the global otherwise, as `with` did.
 * The declarations go on the template's first line, so error messages keep its line numbers.
 *
 * Should a template still not compile this way, it is compiled with `with`, as before;
 * `compileTemplate` says which (test/unit/viewCompile.test.ts checks every view compiles without).
 */
export function compileTemplate(source: string, filename: string, root: string): { template: Template; withStatement: boolean } {
  const options = { filename, root, views: [root], unsafePrototypeLocals: true, escape: escapeHtml }
  const names = new Set(namesInCode(source))
  for (let attempt = 0; attempt <= names.size; attempt++) {
    try {
      const template = ejs.compile(readLocalsFirst(names) + source, { ...options, _with: false }) as Template
      return { template, withStatement: false }
    } catch (error) {
      const declared = error instanceof SyntaxError ? /Identifier '([\w$]+)' has already been declared/.exec(error.message)?.[1] : undefined
      if (declared === undefined || !names.delete(declared)) break
    }
  }
  return { template: ejs.compile(source, options) as Template, withStatement: true }
}

/** `<% var a = locals.a, … %>`: each name the code may read, taken from the locals (or, for a global's name, the global when the locals lack it). */
function readLocalsFirst(names: Set<string>): string {
  if (names.size === 0) return ''
  const declarations = [...names].map((name) =>
    name in globalThis ? `${name} = '${name}' in locals ? locals.${name} : globalThis.${name}` : `${name} = locals.${name}`,
  )
  return `<% var ${declarations.join(', ')} %>`
}

/** Names EJS itself gives the compiled function, and words that are not names. */
const notLocals = new Set([
  'locals',
  'escapeFn',
  'rethrow',
  'undefined',
  'NaN',
  'Infinity',
  'globalThis',
  'arguments',
  'eval',
  ...'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof let new null of return static super switch this throw true try typeof var void while with yield async await get set'.split(
    ' ',
  ),
])

/** The identifiers the template's code (between `<%` and `%>`, comments aside) may read as variables. */
export function namesInCode(source: string): string[] {
  const names = new Set<string>()
  for (const [, kind, code] of source.matchAll(/<%(?!%)([_=\-#]?)([\s\S]*?)[-_]?%>/g)) {
    if (kind === '#' || code === undefined) continue
    const withoutStrings = code.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''")
    for (const match of withoutStrings.matchAll(/[A-Za-z_$][\w$]*/g)) {
      const name = match[0]
      const before = withoutStrings.slice(Math.max(0, match.index - 2), match.index)
      // A property (`a.b`, `a?.b`), not a variable; but `...b` spreads the variable b.
      if (before.endsWith('.') && !before.endsWith('..')) continue
      // Part of a number (the e of 1e3, the x of 0x1f): a name never follows a digit.
      if (/[0-9]$/.test(before)) continue
      if (name.startsWith('__') || notLocals.has(name)) continue
      names.add(name)
    }
  }
  return [...names]
}

const htmlSpecial = /[&<>'"]/
const htmlSpecials = /[&<>'"]/g
const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' }

/**
 * EJS's escaping, character for character (& < > " ' as &amp; &lt; &gt; &#34; &#39;; null and
 * undefined as nothing), without calling a function for each character replaced; most values
 * (ids, codes, class names) have none and are returned as they are.
 */
export function escapeHtml(value: unknown): string {
  if (value === undefined || value === null) return ''
  const text = String(value)
  if (!htmlSpecial.test(text)) return text
  let out = ''
  let from = 0
  htmlSpecials.lastIndex = 0
  for (let match = htmlSpecials.exec(text); match !== null; match = htmlSpecials.exec(text)) {
    out += text.slice(from, match.index) + htmlEntities[match[0]]!
    from = match.index + 1
  }
  return out + text.slice(from)
}
