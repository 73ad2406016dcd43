import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

/**
 * The import graph of the server's modules, and the rules its edges must keep: dependencies
 * point down (routes → services → data), nothing outside start-up reaches into the demo, and no
 * module depends on itself through others. Type-only imports count: a cycle of types is still
 * two modules that cannot be understood, or moved, one without the other.
 */

export interface ImportEdge {
  /** Both relative to the root, with forward slashes: "services/roundService.ts". */
  from: string
  to: string
  typeOnly: boolean
}

export interface Violation {
  rule: string
  from: string
  to?: string
  /** For a cycle: the modules around it, starting and ending at `from`. */
  cycle?: string[]
}

function sourceFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : []
  })
}

function resolve(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const base = path.resolve(path.dirname(fromFile), specifier)
  return [`${base}.ts`, path.join(base, 'index.ts'), base].find((candidate) => candidate.endsWith('.ts') && fs.existsSync(candidate))
}

/** Whether every import of a declaration is of types only (`import type`, or every name marked `type`). */
function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly
  const clause = node.importClause
  if (!clause) return false
  if (clause.isTypeOnly) return true
  if (clause.name) return false
  const bindings = clause.namedBindings
  return (
    bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)
  )
}

/** Every import between the .ts files under `root` (packages left out). */
export function importGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = []
  const relative = (file: string) => path.relative(root, file).split(path.sep).join('/')
  for (const file of sourceFiles(root)) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const add = (specifier: string, typeOnly: boolean) => {
      const target = resolve(file, specifier)
      if (target) edges.push({ from: relative(file), to: relative(target), typeOnly })
    }
    const visit = (node: ts.Node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        add(node.moduleSpecifier.text, isTypeOnly(node))
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        ts.isStringLiteral(node.arguments[0]!)
      ) {
        add((node.arguments[0] as ts.StringLiteral).text, false)
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal.text, true)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return edges
}

/** The top folder of a module ("services" for services/roundService.ts), or its own name at the root ("app.ts"). */
function layerOf(file: string): string {
  return file.split('/')[0]!
}

/** Modules that start the process: they alone may seed the demo. */
const startUp = new Set(['main.ts', 'bootstrap.ts'])

interface DirectionRule {
  rule: string
  applies: (from: string) => boolean
  forbidden: (to: string, edge: ImportEdge) => boolean
}

const directionRules: DirectionRule[] = [
  {
    rule: 'a service imports the web layer (routes/ or middleware/)',
    applies: (from) => layerOf(from) === 'services',
    forbidden: (to) => ['routes', 'middleware'].includes(layerOf(to)),
  },
  {
    rule: 'a service imports a job (jobs run services, not the other way round)',
    applies: (from) => layerOf(from) === 'services',
    forbidden: (to) => layerOf(to) === 'jobs',
  },
  {
    rule: 'a data module imports a service, a job or the web layer',
    applies: (from) => layerOf(from) === 'data',
    forbidden: (to) => ['services', 'jobs', 'routes', 'middleware'].includes(layerOf(to)),
  },
  {
    rule: 'demo code is imported outside the demo and start-up',
    applies: (from) => layerOf(from) !== 'demo' && !startUp.has(from),
    forbidden: (to) => layerOf(to) === 'demo',
  },
  {
    rule: 'a route builds a data class (routes go through services)',
    applies: (from) => layerOf(from) === 'routes',
    forbidden: (to, edge) => layerOf(to) === 'data' && !edge.typeOnly,
  },
  {
    rule: 'views/ (rendering) is imported outside the web layer',
    applies: (from) => !['routes', 'views', 'middleware', 'app.ts'].includes(layerOf(from)),
    forbidden: (to) => layerOf(to) === 'views',
  },
]

/** Cycles in the graph: one per strongly connected group of modules (Tarjan), as a path around it. */
export function cyclesOf(edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const groups: string[][] = []
  let counter = 0
  const connect = (node: string) => {
    index.set(node, counter)
    low.set(node, counter++)
    stack.push(node)
    onStack.add(node)
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!))
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        group.push(member)
      } while (member !== node)
      if (group.length > 1 || (next.get(node) ?? []).includes(node)) groups.push(group)
    }
  }
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node)
  // Each group as one cycle through it: a shortest way back from its first module to itself.
  return groups.map((group) => {
    const members = new Set(group)
    const start = [...group].sort()[0]!
    const previous = new Map<string, string>()
    const queue = [start]
    while (queue.length > 0) {
      const node = queue.shift()!
      for (const target of next.get(node) ?? []) {
        if (!members.has(target)) continue
        if (target === start) {
          const path = [start]
          for (let at: string | undefined = node; at !== start && at !== undefined; at = previous.get(at)) path.splice(1, 0, at)
          return [...path, start]
        }
        if (!previous.has(target)) {
          previous.set(target, node)
          queue.push(target)
        }
      }
    }
    return [start, start]
  })
}

/** Layers that take their data from services and must not reach the database themselves. */
const noSqlLayers = new Set(['services', 'routes', 'jobs', 'middleware', 'views', 'forms', 'emails'])

/**
 * A query built outside data/: a table named in a call on the database or a transaction
 * (`db('outbox')`, `trx('invitations')`, `executor('rounds')`), or raw SQL. Transactions are
 * begun by services (`db.transaction`), so that alone is allowed.
 */
const queryPattern = /\b(?:db|trx|executor|knex)\(\s*['"`]|\.raw\(|\bwhereRaw\(/

/** Modules outside data/ that build SQL, with the first line that does. */
export function sqlOutsideData(root: string): Violation[] {
  return sourceFiles(root)
    .map((file) => path.relative(root, file).split(path.sep).join('/'))
    .filter((file) => noSqlLayers.has(layerOf(file)))
    .flatMap((file) => {
      const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n')
      const at = lines.findIndex((line) => queryPattern.test(line))
      return at < 0 ? [] : [{ rule: 'SQL outside data/', from: `${file}:${at + 1}` }]
    })
}

/** Every import of the tree under `root` that breaks a layering rule, every import cycle, and SQL outside data/. */
export function layerViolations(root: string): Violation[] {
  const edges = importGraph(root)
  const violations: Violation[] = [...sqlOutsideData(root)]
  for (const edge of edges) {
    for (const { rule, applies, forbidden } of directionRules) {
      if (applies(edge.from) && forbidden(edge.to, edge)) violations.push({ rule, from: edge.from, to: edge.to })
    }
  }
  for (const cycle of cyclesOf(edges)) violations.push({ rule: 'import cycle', from: cycle[0]!, cycle })
  return violations
}
