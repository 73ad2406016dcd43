import { randomBytes } from 'node:crypto'
import { apiTokenPrefix } from '../auth/apiClient'
import { hashToken } from '../auth/tokens'
import { ApiTokenData } from '../data/apiTokens'
import type { Database } from '../db/connection'
import { timestamp } from '../db/values'
import { demoIcs } from './demoData'

export const demoApiTokenName = 'Demo token (DEMO_API_TOKEN)'
export const demoNamedTokenName = 'Board reporting workbook'

/**
 * The demo ICS lead's API tokens: one named token, so the tokens page has something in it
 * (its secret was never shown to anyone, as after a real creation), and, when DEMO_API_TOKEN is
 * set, that value as a working token, made to work again at every start as the demo password is.
 */
export async function seedApiTokens(db: Database, options: { demoApiToken: string | undefined; now: Date }): Promise<void> {
  const ics = (await db('ics').where({ slug: demoIcs.slug }).first('id')) as { id: number } | undefined
  const lead = (await db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number } | undefined
  if (!ics || !lead) return
  const tokens = new ApiTokenData(db)
  await db.transaction(async (trx) => {
    const named = await trx('api_tokens').where({ ics_id: ics.id, name: demoNamedTokenName }).first('id')
    if (!named) {
      const createdAt = new Date(options.now.getTime() - 30 * 24 * 60 * 60 * 1000)
      const id = await tokens.insert(
        {
          icsId: ics.id,
          name: demoNamedTokenName,
          tokenHash: hashToken(`${apiTokenPrefix}${randomBytes(32).toString('base64url')}`),
          createdBy: lead.id,
        },
        createdAt,
        trx,
      )
      await trx('api_tokens')
        .where({ id })
        .update({ last_used_at: timestamp(new Date(options.now.getTime() - 2 * 24 * 60 * 60 * 1000)) })
    }
    if (options.demoApiToken) {
      await tokens.ensure(
        { icsId: ics.id, name: demoApiTokenName, tokenHash: hashToken(options.demoApiToken), createdBy: lead.id },
        options.now,
        trx,
      )
    }
  })
}
