import { isPostgres } from '../../server/db/connection'
import { createTestDatabase } from '../helpers/database'

/**
 * `npm run test:pg` is only worth anything if the suite really runs on PostgreSQL there, so
 * this fails if TEST_DATABASE_URL is ever ignored (or used when it is not set).
 */
describe('test databases', () => {
  it('are PostgreSQL (13 or newer) exactly when TEST_DATABASE_URL is set, else SQLite', async () => {
    const database = await createTestDatabase()
    try {
      expect(isPostgres(database.db)).toBe(Boolean(process.env.TEST_DATABASE_URL))
      expect(database.config.client).toBe(process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite')
      if (isPostgres(database.db)) {
        const result = (await database.db.raw('show server_version_num')) as { rows: Array<{ server_version_num: string }> }
        expect(Number(result.rows[0]!.server_version_num)).toBeGreaterThanOrEqual(130000)
      }
    } finally {
      await database.destroy()
    }
  })
})
