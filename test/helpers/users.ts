import { hashPassword } from '../../server/auth/passwords'
import { timestamp } from '../../server/db/values'
import { testDemoPassword, type TestContext } from './app'

/** A user with one membership, straight into the database; their password is testDemoPassword. */
export async function addUser(
  context: TestContext,
  email: string,
  membership: { role: string; ics_id: number; place_id?: number | null; organisation_id?: number | null },
  name = email.split('@')[0]!,
): Promise<number> {
  const [user] = (await context
    .db('users')
    .insert({ email, name, password_hash: await hashPassword(testDemoPassword), is_active: true, created_at: timestamp() }, [
      'id',
    ])) as Array<{ id: number }>
  await context
    .db('memberships')
    .insert({ user_id: user!.id, place_id: null, organisation_id: null, ...membership, created_at: timestamp() })
  return user!.id
}

/** A partner respondent for a demo organisation, by name. */
export async function addPartner(context: TestContext, email: string, organisationName: string, name?: string): Promise<number> {
  const organisation = (await context
    .db('organisations as o')
    .join('places as p', 'p.id', 'o.place_id')
    .where('o.name', organisationName)
    .first('o.id', 'o.place_id', 'p.ics_id')) as { id: number; place_id: number; ics_id: number }
  return addUser(
    context,
    email,
    { role: 'partner', ics_id: organisation.ics_id, place_id: organisation.place_id, organisation_id: organisation.id },
    name,
  )
}
