import fs from 'node:fs'
import path from 'node:path'

/**
 * Readiness is worked out in one place: the results read model (server/results/) calls the
 * engine, and everything else reads its results. A module elsewhere that imports the engine's
 * assessReadiness or resolveLevel would be recomputing it.
 */
const serverDirectory = path.join(__dirname, '../../server')
const allowed = ['readiness/', 'results/']
const engineFunctions = ['assessReadiness', 'resolveLevel']

function tsFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name)
    if (entry.isDirectory()) return tsFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

/** The engine functions a module's source imports (named imports from readiness/engine). */
export function engineImports(source: string): string[] {
  const found: string[] = []
  for (const match of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"][./]*(?:[^'"]*\/)?readiness\/engine['"]/g)) {
    for (const name of match[1]!.split(',').map(
      (n) =>
        n
          .trim()
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!,
    )) {
      if (engineFunctions.includes(name)) found.push(name)
    }
  }
  return found
}

describe('readiness is computed only by the results read model', () => {
  it('recognises an import of the engine’s functions, however it is written', () => {
    expect(engineImports("import { assessReadiness } from '../readiness/engine'")).toEqual(['assessReadiness'])
    expect(engineImports("import {\n  medianFromCounts,\n  resolveLevel as pick,\n} from '../../server/readiness/engine'")).toEqual([
      'resolveLevel',
    ])
    expect(engineImports("import { medianFromCounts, type LevelSource } from '../readiness/engine'")).toEqual([])
    expect(engineImports("import { assessReadiness } from '../results/other'")).toEqual([])
  })

  it('finds no module outside server/readiness and server/results that imports assessReadiness or resolveLevel', () => {
    const offenders = tsFiles(serverDirectory)
      .map((file) => path.relative(serverDirectory, file).split(path.sep).join('/'))
      .filter((file) => !allowed.some((prefix) => file.startsWith(prefix)))
      .filter((file) => engineImports(fs.readFileSync(path.join(serverDirectory, file), 'utf8')).length > 0)
    expect(offenders).toEqual([])
  })
})
