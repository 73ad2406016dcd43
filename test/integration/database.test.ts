import request from 'supertest'
import { createApp } from '../../server/app'
import { loadConfig } from '../../server/config'
import { migrateToLatest, pendingMigrations } from '../../server/db/migrate'
import { createLogger } from '../../server/logger'
import { createServices } from '../../server/services'
import { migrations } from '../../migrations'
import { createTestDatabase } from '../helpers/database'

describe('migrations', () => {
  it('run from empty on a fresh database, and a second run does nothing', async () => {
    const database = await createTestDatabase({ migrate: false })
    try {
      expect(await pendingMigrations(database.db)).toHaveLength(migrations.length)
      const applied = await migrateToLatest(database.db)
      expect(applied).toEqual(migrations.map(([name]) => name))
      expect(await pendingMigrations(database.db)).toEqual([])
      expect(await migrateToLatest(database.db)).toEqual([])
      for (const table of [
        'ics',
        'places',
        'organisations',
        'framework_versions',
        'rounds',
        'responses',
        'answers',
        'users',
        'memberships',
        'audit_events',
      ]) {
        expect(await database.db.schema.hasTable(table)).toBe(true)
      }
    } finally {
      await database.destroy()
    }
  })

  it('enforce foreign keys', async () => {
    const database = await createTestDatabase()
    try {
      await expect(database.db('places').insert({ ics_id: 999, name: 'Nowhere', slug: 'nowhere' })).rejects.toMatchObject({
        message: expect.stringMatching(/foreign key/i),
      })
    } finally {
      await database.destroy()
    }
  })

  it('make /readyz answer 503 until the database is migrated', async () => {
    const database = await createTestDatabase({ migrate: false })
    try {
      const config = { ...loadConfig({ NODE_ENV: 'test', DEMO: 'off' }), database: database.config }
      const logger = createLogger('silent')
      const app = createApp({ config, db: database.db, logger, services: createServices(database.db, config, logger) })
      const before = await request(app).get('/readyz')
      expect(before.status).toBe(503)
      expect(before.body.status).toBe('migrations pending')
      await migrateToLatest(database.db)
      const after = await request(app).get('/readyz')
      expect(after.status).toBe(200)
    } finally {
      await database.destroy()
    }
  })
})
