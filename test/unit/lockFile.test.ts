import fs from 'node:fs'
import path from 'node:path'
import { repositoryRoot } from '../helpers/serverProcess'

// The same check `.ci/run` makes before `npm ci`, so a lock written by another npm fails here too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { lockProblems } = require('../../scripts/check-lock.js') as { lockProblems: (lock: unknown) => string[] }

const lockFile = path.join(repositoryRoot, 'package-lock.json')

test('every entry of package-lock.json has a version, so npm ci and npm install accept it', () => {
  expect(lockProblems(JSON.parse(fs.readFileSync(lockFile, 'utf8')))).toEqual([])
})

test('the check names an entry without a version, as older npms wrote for platform binaries', () => {
  const lock = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'placeready' },
      'node_modules/@swc/core': { version: '1.16.22' },
      'node_modules/@swc/core/node_modules/@swc/core-darwin-arm64': { dev: true, optional: true },
      'node_modules/linked': { link: true, resolved: 'somewhere' },
    },
  }
  expect(lockProblems(lock)).toEqual(['"node_modules/@swc/core/node_modules/@swc/core-darwin-arm64" has no version'])
})

test('the check refuses a lock of another format', () => {
  expect(lockProblems({ lockfileVersion: 2, packages: {} })).toEqual(['lockfileVersion is 2, not 3 (write the lock with npm 11)'])
})
