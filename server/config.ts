import path from 'node:path'
import { z } from 'zod'

/**
 * Every setting PlaceReady reads from the environment, validated once at start.
 * A bad value stops the app with a message that names the variable, so an operator
 * never has to guess which of a dozen settings is wrong.
 */

const onOff = z.enum(['on', 'off'])

function wholeNumber(min: number, max: number, fallback: number) {
  const message = `must be a whole number from ${min} to ${max}`
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback)
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: wholeNumber(1, 65535, 3000),
  DATABASE_FILE: z.string().min(1, 'must not be empty').default('data/placeready.sqlite'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
    .optional(),
  DEMO: onOff.optional(),
  DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  DEMO_API_TOKEN: z.string().min(20, 'must be at least 20 characters').optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('PlaceReady <no-reply@placeready.example>'),
  BASE_URL: z.url('must be an absolute URL such as https://placeready.example.org').optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  WEB_CONCURRENCY: wholeNumber(1, 64, 1),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  SIGN_IN_RATE_LIMIT: wholeNumber(1, 10000, 20),
  TOKEN_RATE_LIMIT: wholeNumber(1, 10000, 20),
  API_RATE_LIMIT: wholeNumber(1, 100000, 120),
  REMINDER_INTERVAL_SECONDS: wholeNumber(0, 86400, 300),
  VIEW_CACHE: onOff.optional(),
  PROTECTIVE_MARKING: z
    .string()
    .max(60, 'must be 60 characters or fewer')
    .regex(/^[\p{L}\p{N} :/()&,.'’–-]+$/u, 'must be letters, digits, spaces and : / ( ) & , . - only')
    .default('OFFICIAL'),
})

export type DatabaseConfig = { client: 'sqlite'; filename: string } | { client: 'postgres'; connectionString: string }

export interface AppConfig {
  env: 'development' | 'production' | 'test'
  production: boolean
  port: number
  database: DatabaseConfig
  /** Whether the demo ICS should be seeded into an empty database. */
  demo: boolean
  demoPassword: string | undefined
  demoApiToken: string | undefined
  smtpUrl: string | undefined
  mailFrom: string
  baseUrl: string
  sessionSecret: string | undefined
  logLevel: string
  webConcurrency: number
  trustProxy: boolean
  /** Attempts per 15 minutes from one address: sign-in, and links with tokens (reset, invitation). */
  rateLimits: { signIn: number; tokens: number }
  /** JSON API requests per minute per API token. */
  apiRateLimit: number
  /** How often each instance checks for deadline reminders to send (one instance at a time does); 0: never. */
  reminderIntervalSeconds: number
  /** Views compiled once per process (on unless VIEW_CACHE=off, as `npm run dev` sets). */
  viewCache: boolean
  /** The protective marking at the top and bottom of every page of a PDF report, e.g. OFFICIAL. */
  protectiveMarking: string
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Blank variables count as unset: `PORT= npm start` should mean "use the default". */
function withoutBlanks(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value.trim() !== '') result[key] = value.trim()
  }
  return result
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(withoutBlanks(env))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.')
      const given = env[variable]
      const shown = variable.includes('PASSWORD') || variable.includes('SECRET') || variable.includes('TOKEN') ? '' : ` (got "${given}")`
      return `${variable} ${issue.message}${given === undefined ? '' : shown}`
    })
    throw new ConfigError(problems)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  if (production && e.DEMO === 'on' && !e.DEMO_PASSWORD) {
    throw new ConfigError(['DEMO_PASSWORD must be set when DEMO=on in production'])
  }
  const database: DatabaseConfig = e.DATABASE_URL
    ? { client: 'postgres', connectionString: e.DATABASE_URL }
    : { client: 'sqlite', filename: path.resolve(e.DATABASE_FILE) }
  return {
    env: e.NODE_ENV,
    production,
    port: e.PORT,
    database,
    // Demo is on by default for development, off by default in production.
    demo: e.DEMO ? e.DEMO === 'on' : !production,
    demoPassword: e.DEMO_PASSWORD,
    demoApiToken: e.DEMO_API_TOKEN,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    baseUrl: (e.BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ''),
    sessionSecret: e.SESSION_SECRET,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    webConcurrency: e.WEB_CONCURRENCY,
    trustProxy: e.TRUST_PROXY === 'true',
    rateLimits: { signIn: e.SIGN_IN_RATE_LIMIT, tokens: e.TOKEN_RATE_LIMIT },
    apiRateLimit: e.API_RATE_LIMIT,
    reminderIntervalSeconds: e.REMINDER_INTERVAL_SECONDS,
    viewCache: e.VIEW_CACHE !== 'off',
    protectiveMarking: e.PROTECTIVE_MARKING,
  }
}
