import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../server/config'
import { createDatabase } from '../server/db/connection'
import { migrateToLatest } from '../server/db/migrate'
import { ValidationError } from '../server/errors'
import { createLogger } from '../server/logger'
import { createServices } from '../server/services'

const usage = `Usage: npm run ics:create -- --name "NHS Example Integrated Care System" --lead someone@nhs.net [--lead-name "Sam Jones"]

Creates an ICS and invites its first ICS lead, who then sets up its places, partners and rounds.
The invitation goes by e-mail when SMTP_URL is set; otherwise it waits in the outbox and the
link is printed here to pass on. Uses the same database settings as the app (DATABASE_FILE or
DATABASE_URL).`

/** `npm run ics:create`: how a new ICS comes on board. */
async function main(): Promise<number> {
  let values: { name?: string; lead?: string; 'lead-name'?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      options: {
        name: { type: 'string' },
        lead: { type: 'string' },
        'lead-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (!values.name || !values.lead) {
    console.error(`Both --name and --lead are needed.\n\n${usage}`)
    return 2
  }
  const config = loadConfig()
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel)
  const db = createDatabase(config.database)
  const services = createServices(db, config, logger)
  try {
    await migrateToLatest(db)
    await services.frameworks.importBundled()
    const created = await services.icss.create({
      name: values.name,
      leadEmail: values.lead,
      ...(values['lead-name'] ? { leadName: values['lead-name'] } : {}),
    })
    console.log(
      `Created the ICS "${values.name.trim()}" (id ${created.icsId}) and invited ${values.lead.trim().toLowerCase()} as its ICS lead.`,
    )
    if (created.mailDelivered) {
      console.log('The invitation was sent by e-mail. The link in it works once, for 14 days.')
    } else {
      console.log(
        config.smtpUrl
          ? 'The invitation could not be e-mailed yet (it will be tried again). Pass on this link (it works once, for 14 days):'
          : 'SMTP_URL is not set, so the invitation waits in the outbox. Pass on this link (it works once, for 14 days):',
      )
      console.log(`  ${created.invitationLink}`)
    }
    return 0
  } catch (error) {
    if (error instanceof ValidationError) {
      console.error(error.errors.map((e) => e.text).join('\n'))
      return 1
    }
    throw error
  } finally {
    services.mailer.close()
    await db.destroy()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error)
    process.exit(1)
  },
)
