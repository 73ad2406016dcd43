#!/usr/bin/env node
// Checks package-lock.json before `npm ci` runs, with no dependency of its own (node_modules does
// not exist yet when CI calls it). npm 11.16+ stops at once with "npm error Invalid Version:" on a
// lock entry without a version (older npms wrote such "inert" entries for optional platform
// binaries), so a lock written by another npm would break both of the README's commands.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

/** Lock entries (by path) that lack a version, and other reasons npm on these machines would refuse the lock. */
function lockProblems(lock) {
  const problems = []
  if (lock.lockfileVersion !== 3) problems.push(`lockfileVersion is ${lock.lockfileVersion}, not 3 (write the lock with npm 11)`)
  for (const [location, entry] of Object.entries(lock.packages || {})) {
    if (location === '' || entry.link) continue
    if (typeof entry.version !== 'string' || entry.version === '') problems.push(`"${location}" has no version`)
  }
  return problems
}

module.exports = { lockProblems }

if (require.main === module) {
  const file = path.join(__dirname, '..', 'package-lock.json')
  const problems = lockProblems(JSON.parse(fs.readFileSync(file, 'utf8')))
  if (problems.length > 0) {
    console.error(`package-lock.json would be refused by npm ci / npm install (${problems.length} problem(s)):`)
    for (const problem of problems) console.error(`  - ${problem}`)
    console.error('Write the lock with the npm of these machines (npm 11): delete the entries above and run `npm install`.')
    process.exit(1)
  }
  console.log('package-lock.json: every entry has a version')
}
