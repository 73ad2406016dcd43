import { responseReference } from '../../server/assessment/reference'

/**
 * Finding 14 of the hardening issue: the submission reference format lived in the demo seed, and
 * a service imported it from there. That no module but the demo and start-up imports demo code is
 * checked with the other layering rules, in layers.test.ts.
 */
describe('the submission reference', () => {
  it('gives a submission the reference of its round and organisation', () => {
    expect(responseReference(12, 345)).toBe('PR-0012-00345')
    expect(responseReference(3, 7)).toBe('PR-0003-00007')
  })
})
