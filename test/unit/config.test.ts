import path from 'node:path'
import { ConfigError, loadConfig } from '../../server/config'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected the configuration to be rejected')
}

describe('configuration', () => {
  it('uses documented defaults when nothing is set', () => {
    const config = loadConfig({})
    expect(config.port).toBe(3000)
    expect(config.database).toEqual({ client: 'sqlite', filename: path.resolve('data/placeready.sqlite') })
    expect(config.demo).toBe(true)
    expect(config.production).toBe(false)
  })

  it.each([['abc'], ['0'], ['70000'], ['3.5'], ['-1']])('rejects PORT=%s with a message naming PORT', (value) => {
    const problems = problemsOf({ PORT: value })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^PORT must be a whole number from 1 to 65535/)
    expect(problems[0]).toContain(`"${value}"`)
  })

  it('compiles views once unless VIEW_CACHE=off (npm run dev), in development as in production', () => {
    expect(loadConfig({}).viewCache).toBe(true)
    expect(loadConfig({ NODE_ENV: 'production' }).viewCache).toBe(true)
    expect(loadConfig({ VIEW_CACHE: 'off' }).viewCache).toBe(false)
    expect(problemsOf({ VIEW_CACHE: 'maybe' })[0]).toMatch(/^VIEW_CACHE/)
  })

  it('treats a blank variable as unset', () => {
    expect(loadConfig({ PORT: '  ' }).port).toBe(3000)
  })

  it('lets DATABASE_URL win over DATABASE_FILE', () => {
    const config = loadConfig({ DATABASE_FILE: 'x.sqlite', DATABASE_URL: 'postgres://u:p@localhost:5432/placeready' })
    expect(config.database).toEqual({ client: 'postgres', connectionString: 'postgres://u:p@localhost:5432/placeready' })
  })

  it('rejects a DATABASE_URL that is not PostgreSQL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://localhost/db' })[0]).toMatch(/^DATABASE_URL must be a postgres/)
  })

  it('reports every bad variable at once, without echoing secrets', () => {
    const problems = problemsOf({ PORT: 'x', DEMO: 'maybe', DEMO_PASSWORD: 'short', SMTP_URL: 'http://mail' })
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['DEMO', 'DEMO_PASSWORD', 'PORT', 'SMTP_URL'])
    expect(problems.join('\n')).not.toContain('short')
  })

  it('turns the demo off by default in production, and on only with DEMO=on', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).demo).toBe(false)
    expect(loadConfig({ NODE_ENV: 'production', DEMO: 'on', DEMO_PASSWORD: 'a-long-demo-password' }).demo).toBe(true)
    expect(loadConfig({ DEMO: 'off' }).demo).toBe(false)
  })

  it('requires DEMO_PASSWORD for a production demo, so no password is printed to production logs', () => {
    expect(problemsOf({ NODE_ENV: 'production', DEMO: 'on' })[0]).toMatch(/DEMO_PASSWORD/)
  })

  it('checks for deadline reminders every 5 minutes by default; REMINDER_INTERVAL_SECONDS=0 turns them off', () => {
    expect(loadConfig({}).reminderIntervalSeconds).toBe(300)
    expect(loadConfig({ REMINDER_INTERVAL_SECONDS: '60' }).reminderIntervalSeconds).toBe(60)
    expect(loadConfig({ REMINDER_INTERVAL_SECONDS: '0' }).reminderIntervalSeconds).toBe(0)
    expect(problemsOf({ REMINDER_INTERVAL_SECONDS: '-5' })[0]).toMatch(/^REMINDER_INTERVAL_SECONDS must be a whole number from 0 to 86400/)
  })

  it('marks PDF reports OFFICIAL by default; PROTECTIVE_MARKING sets another marking, and refuses anything but words', () => {
    expect(loadConfig({}).protectiveMarking).toBe('OFFICIAL')
    expect(loadConfig({ PROTECTIVE_MARKING: 'OFFICIAL-SENSITIVE: COMMERCIAL' }).protectiveMarking).toBe('OFFICIAL-SENSITIVE: COMMERCIAL')
    expect(problemsOf({ PROTECTIVE_MARKING: 'OFFICIAL<script>' })[0]).toMatch(/^PROTECTIVE_MARKING must be letters, digits, spaces/)
    expect(problemsOf({ PROTECTIVE_MARKING: 'X'.repeat(61) })[0]).toMatch(/^PROTECTIVE_MARKING must be 60 characters or fewer/)
  })
})
