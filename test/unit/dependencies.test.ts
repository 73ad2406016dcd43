import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { responseReference } from '../../server/assessment/reference'

const serverDirectory = path.join(__dirname, '../../server')

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
  return [...source.matchAll(/from '([^']+)'/g)].map((m) => path.resolve(path.dirname(file), m[1]!))
}

/** Finding 14 of the hardening issue: the submission reference format lived in the demo seed, and a service imported it from there. */
describe('what depends on the demo', () => {
  it('is only the process start-up: no rule of the product lives in demo code', () => {
    const demo = path.join(serverDirectory, 'demo')
    const startUp = new Set(['main.ts', 'bootstrap.ts'].map((f) => path.join(serverDirectory, f)))
    const offenders = sourceFiles(serverDirectory)
      .filter((file) => !file.startsWith(demo + path.sep) && !startUp.has(file))
      .filter((file) => importsOf(file).some((target) => target === demo || target.startsWith(demo + path.sep)))
      .map((file) => path.relative(serverDirectory, file))
    expect(offenders).toEqual([])
  })

  it('gives a submission the reference of its round and organisation', () => {
    expect(responseReference(12, 345)).toBe('PR-0012-00345')
    expect(responseReference(3, 7)).toBe('PR-0003-00007')
  })
})
