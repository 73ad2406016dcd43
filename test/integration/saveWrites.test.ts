import { AuditData } from '../../server/data/audit'
import { FrameworkData, type CriterionRow } from '../../server/data/frameworks'
import { ResponseData } from '../../server/data/responses'
import { timestamp, toBoolean } from '../../server/db/values'
import type { AnswerValue } from '../../server/assessment/answers'
import { createTestContext, type TestContext } from '../helpers/app'

/**
 * A save's reads and writes are compiled once (not built by knex each time) and each write
 * reports the rows it wrote: the version check that detects a colleague's change depends on it.
 * These check them against the database itself, with empty values, a boolean and every domain size.
 */
describe("a save's compiled reads and writes", () => {
  let context: TestContext
  let responses: ResponseData
  let criteria: CriterionRow[]
  let responseId: number
  let userId: number
  const now = new Date('2026-11-22T10:00:00.000Z')

  beforeAll(async () => {
    context = await createTestContext({ demo: true })
    const { db } = context
    responses = new ResponseData(db)
    const round = (await db('rounds').where('title', 'like', '%December 2026%').first('id', 'framework_version_id')) as {
      id: number
      framework_version_id: number
    }
    criteria = await new FrameworkData(db).criteria(round.framework_version_id)
    const place = (await db('round_places as rp')
      .join('places as p', 'p.id', 'rp.place_id')
      .where('rp.round_id', round.id)
      .first('p.id')) as {
      id: number
    }
    const [organisation] = (await db('organisations').insert(
      { place_id: place.id, name: 'Compiled writes organisation', kind: 'vcse', created_at: timestamp() },
      ['id'],
    )) as Array<{ id: number }>
    userId = ((await db('users').first('id')) as { id: number }).id
    responseId = await db.transaction((trx) => responses.ensureResponse(round.id, organisation!.id, now, trx))
  })
  afterAll(() => context.close())

  const stored = async (criterionId: number) =>
    (await context.db('answers').where({ response_id: responseId, criterion_id: criterionId }).first()) as
      | {
          level: number | null
          not_sure: unknown
          evidence: string | null
          support_needed: string | null
          target_level: number | null
          version: number
          updated_by: number
          updated_at: unknown
        }
      | undefined

  it('writes an answer only at the version it was based on, with empty values and "Not sure yet" as given', async () => {
    const { db } = context
    const criterion = criteria[0]!
    const notSure: AnswerValue = { level: null, notSure: true, evidence: null, supportNeeded: 'Help', targetLevel: 3 }
    expect(await db.transaction((trx) => responses.writeAnswer(responseId, criterion.id, 0, notSure, userId, now, trx))).toBe(true)
    // Based on "no answer yet", but there is one now: a colleague's, so nothing is written.
    expect(
      await db.transaction((trx) =>
        responses.writeAnswer(responseId, criterion.id, 0, { ...notSure, supportNeeded: 'Other' }, userId, now, trx),
      ),
    ).toBe(false)
    let row = await stored(criterion.id)
    expect({ ...row!, not_sure: toBoolean(row!.not_sure) }).toMatchObject({
      level: null,
      not_sure: true,
      evidence: null,
      support_needed: 'Help',
      target_level: 3,
      version: 1,
      updated_by: userId,
    })

    const level: AnswerValue = { level: 2, notSure: false, evidence: 'Minutes', supportNeeded: null, targetLevel: null }
    expect(await db.transaction((trx) => responses.writeAnswer(responseId, criterion.id, 1, level, userId, now, trx))).toBe(true)
    // Version 1 is gone: a save still based on it changes nothing.
    expect(await db.transaction((trx) => responses.writeAnswer(responseId, criterion.id, 1, notSure, userId, now, trx))).toBe(false)
    row = await stored(criterion.id)
    expect({ ...row!, not_sure: toBoolean(row!.not_sure) }).toMatchObject({
      level: 2,
      not_sure: false,
      evidence: 'Minutes',
      support_needed: null,
      target_level: null,
      version: 2,
    })
  })

  it("reads a domain's answers with their versions, whatever the domain's size", async () => {
    const { db } = context
    const domains = [...new Set(criteria.map((c) => c.domainCode))]
    const sizes = new Set<number>()
    for (const [i, domainCode] of domains.entries()) {
      const domainCriteria = criteria.filter((c) => c.domainCode === domainCode)
      sizes.add(domainCriteria.length)
      // Some answered, some not.
      for (const c of domainCriteria.slice(1, 1 + i))
        if (!(await stored(c.id)))
          await db.transaction((trx) =>
            responses.writeAnswer(
              responseId,
              c.id,
              0,
              { level: 1, notSure: false, evidence: c.code, supportNeeded: null, targetLevel: null },
              userId,
              now,
              trx,
            ),
          )
      const read = await db.transaction((trx) => responses.versionedAnswers(responseId, domainCriteria, trx))
      const expected = (await db('answers')
        .where('response_id', responseId)
        .whereIn(
          'criterion_id',
          domainCriteria.map((c) => c.id),
        )
        .select('criterion_id', 'level', 'evidence', 'version')) as Array<{
        criterion_id: number
        level: number | null
        evidence: string | null
        version: number
      }>
      expect(expected.length).toBeGreaterThan(0)
      expect(
        [...read.values()]
          .map((a) => ({ criterion_id: a.criterionId, level: a.level, evidence: a.evidence, version: a.version }))
          .sort((a, b) => a.criterion_id - b.criterion_id),
      ).toEqual(expected.sort((a, b) => a.criterion_id - b.criterion_id))
      for (const [code, answer] of read) expect(domainCriteria.find((c) => c.id === answer.criterionId)?.code).toBe(code)
    }
    expect(sizes.size).toBeGreaterThan(1)
  })

  it('touches the response and clears only the domain asked for', async () => {
    const { db } = context
    const before = (await db('responses').where({ id: responseId }).first('version')) as { version: number }
    const later = new Date('2026-11-23T09:30:00.000Z')
    await db.transaction(async (trx) => {
      await responses.markDomainComplete(responseId, 'AV', userId, now, trx)
      await responses.markDomainComplete(responseId, 'LC', userId, now, trx)
      await responses.touchResponse(responseId, userId, later, trx)
      await responses.clearDomainComplete(responseId, 'AV', trx)
    })
    const after = (await db('responses').where({ id: responseId }).first('version', 'updated_by', 'updated_at')) as {
      version: number
      updated_by: number
      updated_at: unknown
    }
    expect(after.version).toBe(before.version + 1)
    expect(after.updated_by).toBe(userId)
    expect(new Date(String(after.updated_at instanceof Date ? after.updated_at.toISOString() : after.updated_at)).toISOString()).toBe(
      later.toISOString(),
    )
    expect(
      ((await db('response_domains').where({ response_id: responseId }).select('domain_code')) as Array<{ domain_code: string }>).map(
        (r) => r.domain_code,
      ),
    ).toEqual(['LC'])
  })

  it('stores one audit event (the compiled insert) as it stores several', async () => {
    const { db } = context
    const audit = new AuditData(db)
    const event = {
      occurredAt: now,
      actorUserId: userId,
      icsId: null,
      kind: 'answer.changed',
      subjectType: 'answer',
      subjectId: `${responseId}:AV1`,
      details: { old: null, new: { evidence: 'It\'s "quoted" – and ?' } },
      ip: null,
    }
    await audit.insert([event])
    await audit.insert([
      { ...event, subjectId: 'many' },
      { ...event, subjectId: 'many' },
    ])
    const rows = (await db('audit_events')
      .whereIn('subject_id', [`${responseId}:AV1`, 'many'])
      .orderBy('id')
      .select()) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(3)
    const { id: _one, subject_id: oneSubject, ...one } = rows[0]!
    const { id: _many, subject_id: _manySubject, ...many } = rows[1]!
    expect(oneSubject).toBe(`${responseId}:AV1`)
    expect(one).toEqual(many)
    expect(JSON.parse(String(one.details))).toEqual(event.details)
  })
})
