import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { cyclesOf, layerViolations } from '../architecture/importGraph'

const serverDirectory = path.join(__dirname, '../../server')

/** A copy of server/ to plant bad imports in, so the checks are proved on the real tree's layout. */
function copyOfServer(): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'placeready-layers-'))
  fs.cpSync(serverDirectory, copy, { recursive: true })
  return copy
}

function plant(root: string, file: string, source: string): void {
  fs.writeFileSync(path.join(root, file), source)
}

describe('the layers of server/', () => {
  it('hold: dependencies point down, the demo stays out, no cycles, SQL only in data/', () => {
    expect(layerViolations(serverDirectory)).toEqual([])
  })

  describe('the checker, on a copy of server/ with bad imports planted', () => {
    let root: string
    beforeEach(() => {
      root = copyOfServer()
    })
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }))

    it('fails when a service imports from routes/', () => {
      plant(root, 'services/planted.ts', "import { idParam } from '../routes/params'\nexport const planted = idParam\n")
      expect(layerViolations(root)).toEqual([
        { rule: 'a service imports the web layer (routes/ or middleware/)', from: 'services/planted.ts', to: 'routes/params.ts' },
      ])
    })

    it('fails when a service imports middleware, a job, or the demo, even for types', () => {
      plant(
        root,
        'services/planted.ts',
        [
          "import type { ErrorRequestHandler } from '../middleware/errors'",
          "import type { Scheduler } from '../jobs/scheduler'",
          "export { demoUsers } from '../demo/demoData'",
          'export type Planted = [ErrorRequestHandler, Scheduler]',
        ].join('\n'),
      )
      expect(layerViolations(root).map((v) => [v.rule, v.to])).toEqual([
        ['a service imports the web layer (routes/ or middleware/)', 'middleware/errors.ts'],
        ['a service imports a job (jobs run services, not the other way round)', 'jobs/scheduler.ts'],
        ['demo code is imported outside the demo and start-up', 'demo/demoData.ts'],
      ])
    })

    it('fails when a data module imports a service', () => {
      plant(root, 'data/planted.ts', "import { AuditService } from '../services/auditService'\nexport const planted = AuditService\n")
      expect(layerViolations(root)).toEqual([
        { rule: 'a data module imports a service, a job or the web layer', from: 'data/planted.ts', to: 'services/auditService.ts' },
      ])
    })

    it('fails when a route builds a data class, but not when it names a data type', () => {
      plant(root, 'routes/planted.ts', "import { PlaceData } from '../data/places'\nexport const planted = PlaceData\n")
      plant(root, 'routes/typesOnly.ts', "import type { PlaceRecord } from '../data/places'\nexport type Planted = PlaceRecord\n")
      expect(layerViolations(root)).toEqual([
        { rule: 'a route builds a data class (routes go through services)', from: 'routes/planted.ts', to: 'data/places.ts' },
      ])
    })

    it('fails on demo code imported by anything but the demo and start-up, however it is imported', () => {
      plant(root, 'routes/planted.ts', "export async function planted() {\n  return import('../demo/seed')\n}\n")
      expect(layerViolations(root)).toEqual([
        { rule: 'demo code is imported outside the demo and start-up', from: 'routes/planted.ts', to: 'demo/seed.ts' },
      ])
    })

    it('fails on an import cycle, naming the modules around it', () => {
      plant(root, 'services/plantedA.ts', "import { b } from './plantedB'\nexport const a = () => b\n")
      plant(root, 'services/plantedB.ts', "import { c } from './plantedC'\nexport const b = () => c\n")
      plant(root, 'services/plantedC.ts', "import type { a } from './plantedA'\nexport const c = (x?: typeof a) => x\n")
      expect(layerViolations(root)).toEqual([
        {
          rule: 'import cycle',
          from: 'services/plantedA.ts',
          cycle: ['services/plantedA.ts', 'services/plantedB.ts', 'services/plantedC.ts', 'services/plantedA.ts'],
        },
      ])
    })

    it('fails on SQL written in a service, and on a job formatting through the views', () => {
      plant(
        root,
        'services/planted.ts',
        "import type { Database } from '../db/connection'\nexport const planted = (db: Database) => db('outbox').count()\n",
      )
      plant(root, 'jobs/planted.ts', "import { formatDateTime } from '../views/helpers'\nexport const planted = formatDateTime\n")
      expect(layerViolations(root)).toEqual([
        { rule: 'SQL outside data/', from: 'services/planted.ts:2' },
        { rule: 'views/ (rendering) is imported outside the web layer', from: 'jobs/planted.ts', to: 'views/helpers.ts' },
      ])
    })
  })

  it('finds each cycle once, including a module importing itself, and nothing in a graph without one', () => {
    const edge = (from: string, to: string) => ({ from, to, typeOnly: false })
    expect(cyclesOf([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd'), edge('d', 'd')])).toEqual([
      ['d', 'd'],
      ['a', 'b', 'c', 'a'],
    ])
    expect(cyclesOf([edge('a', 'b'), edge('a', 'c'), edge('b', 'c')])).toEqual([])
  })
})
