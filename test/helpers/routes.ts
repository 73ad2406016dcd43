import type { Express } from 'express'
import type { Knex } from 'knex'
import { rulesOf, type RouteRule } from '../../server/auth/guardedRouter'

interface Layer {
  route?: { path: string; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
}

export interface KnownRoute {
  method: 'get' | 'post'
  path: string
  rule: RouteRule | undefined
}

/** Every route the app's router knows, walking nested routers, with the rule it declared. */
export function knownRoutes(app: Express): KnownRoute[] {
  const found: KnownRoute[] = []
  const walk = (stack: Layer[], owner: object | undefined) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          const rule = owner ? rulesOf(owner)?.find((r) => r.method === method && r.path === layer.route!.path) : undefined
          found.push({ method: method as 'get' | 'post', path: layer.route.path, rule })
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, layer.handle)
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, undefined)
  return found
}

/** Route parameters filled in with real ids from the demo, so each request reaches its handler. */
export type RouteIds = Record<string, string | number>

/** Ids of the demo ICS for every route parameter the app has today. */
export async function demoRouteIds(db: Knex): Promise<RouteIds> {
  const first = async (query: Knex.QueryBuilder, column = 'id') =>
    ((await query.first(`${column} as id`)) as { id: number } | undefined)?.id ?? 1
  const partner = await first(db('users').where({ email: 'partner.wirral.council@example.org' }))
  return {
    roundId: await first(db('rounds').orderBy('id', 'desc')),
    organisationId: await first(db('organisations').where({ name: 'Wirral Council' })),
    placeId: await first(db('places').where({ slug: 'wirral' })),
    code: 'DD1',
    domainCode: 'GV',
    'users:id': partner,
    membershipId: await first(db('memberships').where({ user_id: partner })),
    'invitations:id': await first(db('invitations').orderBy('id')),
    'outbox:id': await first(db('outbox').orderBy('id')),
    actionId: await first(db('development_actions as a').join('places as p', 'p.id', 'a.place_id').where('p.slug', 'wirral'), 'a.id'),
    token: 'unknown-token',
  }
}

/**
 * A concrete address for a route: each `:name` replaced by ids[name], or by ids[`${segment}:${name}`]
 * when the same name means different things under different segments (users/:id, invitations/:id).
 */
export function concretePath(path: string, ids: RouteIds): string {
  const segments = path.split('/')
  return segments
    .map((segment, index) => {
      // ':name' is one segment; '*name' (Express 5's wildcard) the rest of the path.
      if (!segment.startsWith(':') && !segment.startsWith('*')) return segment
      const name = segment.slice(1)
      const qualified = `${segments[index - 1]}:${name}`
      // A parameter no test knows yet (a new route's) still gets an address: the first row's id.
      const value = ids[qualified] ?? ids[name] ?? 1
      return encodeURIComponent(String(value))
    })
    .join('/')
}
