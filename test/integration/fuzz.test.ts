import fc from 'fast-check'
import request from 'supertest'
import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'
import { concretePath, demoRouteIds, knownRoutes, type KnownRoute, type RouteIds } from '../helpers/routes'

/**
 * The project's own fuzzing (issue 12): every route the router knows – found by walking
 * Express's router stack, so a new route is fuzzed the day it is added – gets generated
 * requests as anonymous and as each role: bodies of every content type (urlencoded, JSON,
 * text/plain, multipart, XML, none, a charset nobody reads), wrong types, duplicated fields,
 * unicode and oversize values, odd route ids and CSRF tokens, starting from the real forms the
 * pages show. Whatever it sends:
 *   - the answer is never a 500, a redirect never leaves the site, and no message is zod's own;
 *   - a request answered 4xx changes no saved value, and no saved text outgrows its field;
 *   - nothing changes outside the actor's scope (a partner's organisation, a place lead's place,
 *     an ICS lead's ICS; anonymous visitors and viewers change nothing).
 * The seed is fixed and printed with any failure: FUZZ_SEED=<seed> npx jest test/integration/fuzz.test.ts
 * replays it; FUZZ_RUNS scales the number of requests.
 */

const seed = Number(process.env.FUZZ_SEED ?? 20261122)
const runScale = Number(process.env.FUZZ_RUNS ?? 1)
const postRuns = Math.max(1, Math.round(24 * runScale))
const getRuns = Math.max(1, Math.round(4 * runScale))
/** The time the generated requests may take, so that the whole file stays near that on a busy machine (each route still gets one request). */
const fuzzBudgetMs = Number(process.env.FUZZ_BUDGET_MS ?? 70_000) * runScale

/** zod's default wording, which no person should ever be shown. */
const machineWording = /Invalid input|expected (string|number|int)|, received |Too big:|Too small:|9007199254740991|Invalid option/

/** The longest text anyone may type in a field (evidence, rationale); no saved value is longer. */
const longestField = 5000
/** Columns PlaceReady writes itself rather than copying from a form. */
const generatedColumns = ['recommendation_snapshot', 'password_hash']

type ActorName = 'anonymous' | 'apiClient' | 'icsLead' | 'placeLead' | 'partner' | 'viewer' | 'otherIcsLead'
const actorNames: ActorName[] = ['anonymous', 'apiClient', 'icsLead', 'placeLead', 'partner', 'viewer', 'otherIcsLead']
/** The demo ICS lead's API token: the API client sends it, and no session cookie. */
const apiToken = 'fuzz-demo-api-token-0123456789'
const emails: Record<Exclude<ActorName, 'anonymous' | 'apiClient'>, string> = {
  icsLead: 'ics.lead@example.org',
  placeLead: 'place.lead.wirral@example.org',
  partner: 'partner.wirral.council@example.org',
  viewer: 'board.viewer@example.org',
  otherIcsLead: 'fuzz.other.lead@example.org',
}

/** Where an actor may change things: undefined parts are unrestricted; null means nowhere. */
type Scope = { ics?: number; place?: number; organisation?: number } | null
interface RowScope {
  ics: number | null
  place: number | null
  organisation: number | null
}

interface Snapshot {
  rows: Map<string, { scope: RowScope; content: string }>
}

/**
 * Every saved value that matters, keyed by table and id, with the ICS, place and organisation it
 * belongs to. Sessions, rate-limit counters, the audit trail and the outbox are left out: they
 * record requests, whatever the answer.
 */
async function snapshot(context: TestContext): Promise<Snapshot> {
  const db = context.db
  const rows = new Map<string, { scope: RowScope; content: string }>()
  const add = (table: string, list: Array<Record<string, unknown>>) => {
    for (const { id, scope_ics, scope_place, scope_organisation, ...content } of list) {
      rows.set(`${table}:${String(id)}`, {
        scope: { ics: toId(scope_ics), place: toId(scope_place), organisation: toId(scope_organisation) },
        content: JSON.stringify(content),
      })
    }
  }
  const scoped = (ics: string, place: string | null, organisation: string | null) => [
    `${ics} as scope_ics`,
    place ? `${place} as scope_place` : db.raw('null as scope_place'),
    organisation ? `${organisation} as scope_organisation` : db.raw('null as scope_organisation'),
  ]
  add(
    'answers',
    await db('answers as a')
      .join('responses as r', 'r.id', 'a.response_id')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .join('places as p', 'p.id', 'o.place_id')
      .select('a.*', ...scoped('p.ics_id', 'o.place_id', 'o.id')),
  )
  add(
    'responses',
    await db('responses as r')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .join('places as p', 'p.id', 'o.place_id')
      .select('r.*', ...scoped('p.ics_id', 'o.place_id', 'o.id')),
  )
  add(
    'response_domains',
    await db('response_domains as d')
      .join('responses as r', 'r.id', 'd.response_id')
      .join('organisations as o', 'o.id', 'r.organisation_id')
      .join('places as p', 'p.id', 'o.place_id')
      .select(db.raw(`d.response_id || ':' || d.domain_code as id`), 'd.completed_at', ...scoped('p.ics_id', 'o.place_id', 'o.id')),
  )
  add(
    'place_returns',
    await db('place_returns as x')
      .join('places as p', 'p.id', 'x.place_id')
      .select('x.*', ...scoped('p.ics_id', 'p.id', null)),
  )
  for (const table of ['place_positions', 'moderations']) {
    add(
      table,
      await db(`${table} as x`)
        .join('place_returns as pr', 'pr.id', 'x.place_return_id')
        .join('places as p', 'p.id', 'pr.place_id')
        .select('x.*', ...scoped('p.ics_id', 'p.id', null)),
    )
  }
  for (const table of ['delegation_decisions', 'development_actions']) {
    add(
      table,
      await db(`${table} as x`)
        .join('places as p', 'p.id', 'x.place_id')
        .select('x.*', ...scoped('p.ics_id', 'p.id', null)),
    )
  }
  add('rounds', await db('rounds as x').select('x.*', ...scoped('x.ics_id', null, null)))
  add(
    'round_places',
    await db('round_places as x')
      .join('rounds as r', 'r.id', 'x.round_id')
      .select(db.raw(`x.round_id || ':' || x.place_id as id`), ...scoped('r.ics_id', 'x.place_id', null)),
  )
  add('memberships', await db('memberships as x').select('x.*', ...scoped('x.ics_id', 'x.place_id', 'x.organisation_id')))
  add('invitations', await db('invitations as x').select('x.*', ...scoped('x.ics_id', 'x.place_id', 'x.organisation_id')))
  // A person belongs to the ICSs of their roles; changing them is an ICS-wide matter.
  add(
    'users',
    await db('users as u')
      .leftJoin('memberships as m', 'm.user_id', 'u.id')
      .groupBy('u.id', 'u.email', 'u.name', 'u.password_hash', 'u.is_active')
      .select('u.id', 'u.email', 'u.name', 'u.password_hash', 'u.is_active', db.raw('min(m.ics_id) as scope_ics'))
      .select(db.raw('null as scope_place'), db.raw('null as scope_organisation')),
  )
  add('places', await db('places as x').select('x.*', ...scoped('x.ics_id', 'x.id', null)))
  add(
    'organisations',
    await db('organisations as x')
      .join('places as p', 'p.id', 'x.place_id')
      .select('x.*', ...scoped('p.ics_id', 'x.place_id', 'x.id')),
  )
  add('ics', await db('ics as x').select('x.*', ...scoped('x.id', null, null)))
  return { rows }
}

function toId(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}

function changes(before: Snapshot, after: Snapshot): Array<{ key: string; scope: RowScope }> {
  const changed: Array<{ key: string; scope: RowScope }> = []
  for (const [key, row] of after.rows) if (before.rows.get(key)?.content !== row.content) changed.push({ key, scope: row.scope })
  for (const [key, row] of before.rows) if (!after.rows.has(key)) changed.push({ key, scope: row.scope })
  return changed
}

function inScope(scope: Scope, row: RowScope): boolean {
  if (scope === null) return false
  return (
    (scope.ics === undefined || row.ics === scope.ics) &&
    (scope.place === undefined || row.place === scope.place) &&
    (scope.organisation === undefined || row.organisation === scope.organisation)
  )
}

/** The forms the pages show, by the address they post to: the starting point of most generated bodies. */
type Forms = Map<string, Array<Record<string, string>>>

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)
}

function harvestForms(html: string, forms: Forms): void {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = decodeEntities(/action="([^"]*)"/.exec(match[1]!)?.[1] ?? '').split('?')[0]!
    if (!action.startsWith('/')) continue
    const fields: Record<string, string> = {}
    const body = match[2]!
    for (const tag of body.match(/<(input|button)\b[^>]*>/g) ?? []) {
      const name = /name="([^"]+)"/.exec(tag)?.[1]
      if (!name) continue
      const type = /type="([^"]+)"/.exec(tag)?.[1] ?? 'text'
      if ((type === 'radio' || type === 'checkbox') && !/\schecked/.test(tag) && name in fields) continue
      fields[name] = decodeEntities(/value="([^"]*)"/.exec(tag)?.[1] ?? '')
    }
    for (const m of body.matchAll(/<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g)) fields[m[1]!] = decodeEntities(m[2]!)
    for (const m of body.matchAll(/<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
      const options = [...m[2]!.matchAll(/<option value="([^"]*)"/g)].map((o) => decodeEntities(o[1]!))
      fields[m[1]!] = options.find((o) => o !== '') ?? ''
    }
    const list = forms.get(action) ?? []
    list.push(fields)
    forms.set(action, list)
  }
}

const interesting = [
  '',
  ' ',
  '0',
  '-1',
  '1',
  '2',
  '3',
  '4',
  '5',
  '1.5',
  '1e3',
  '99999999999999999999',
  '2147483648',
  '9007199254740993',
  'NaN',
  'Infinity',
  'not-sure',
  'none',
  'yes',
  'true',
  'null',
  'undefined',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'ics_lead',
  'place_lead',
  'partner',
  'viewer',
  'complete',
  'save',
  'save-and-return',
  'not_started',
  'in_progress',
  'done',
  '2027-02-31',
  '2027-02-28',
  '0000-11-01',
  '0026-11-01',
  '31',
  '12',
  '2021',
  '2026',
  '//evil.example',
  'https://evil.example/',
  '/\\evil.example',
  'javascript:alert(1)',
  '../../admin/users',
  '<script>alert(1)</script>',
  '=HYPERLINK("http://x","y")',
  "' OR 1=1 --",
  '%00',
  '\u0000',
  '\ud800',
  'e\u0301',
  'नमस्ते',
  '👩🏽‍⚕️',
  'AV1',
  'GV5',
  'ZZ9',
]

const textValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...interesting) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  // Oversize: at, just past and far past the longest field, in characters that take three bytes.
  { weight: 1, arbitrary: fc.constantFrom(200, 1000, 5000, 5001, 20_000, 150_000).map((n) => 'क'.repeat(n)) },
)

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: textValue },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(textValue, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('a', '__proto__', 'length'), textValue, { maxKeys: 2 }) },
)

type Encoding = 'form' | 'json' | 'json-array' | 'text' | 'multipart' | 'xml' | 'none' | 'form-utf16'
const encodings: Encoding[] = ['form', 'form', 'form', 'json', 'json', 'json-array', 'text', 'multipart', 'xml', 'none', 'form-utf16']

const paramVariants = [
  'valid',
  'valid',
  'valid',
  'valid',
  'other',
  '0',
  '-1',
  '99999999',
  '2147483648',
  '99999999999',
  'abc',
  '1e3',
  '%2e%2e',
  'नमस्ते',
] as const

interface Generated {
  actor: ActorName
  encoding: Encoding
  base: number
  drop: string[]
  override: Record<string, unknown>
  extra: Record<string, unknown>
  duplicate: string[]
  csrf: 'valid' | 'missing' | 'wrong'
  accept: 'html' | 'json'
  params: Record<string, (typeof paramVariants)[number]>
}

function requestArbitrary(route: KnownRoute, fieldNames: string[]): fc.Arbitrary<Generated> {
  const params = (route.path.match(/[:*][A-Za-z]+/g) ?? []).map((p) => p.slice(1))
  const known = fieldNames.length > 0 ? fc.constantFrom(...fieldNames) : fc.constant('field')
  const anyName = fc.oneof(known, fc.constantFrom('_csrf', '__proto__', 'constructor', 'action', 'next'), fc.string({ maxLength: 12 }))
  return fc.record({
    actor: fc.constantFrom(...actorNames),
    encoding: fc.constantFrom(...encodings),
    base: fc.nat(),
    drop: fc.array(known, { maxLength: 2 }),
    override: fc.dictionary(known, jsonValue, { maxKeys: 4 }),
    extra: fc.dictionary(anyName, jsonValue, { maxKeys: 2 }),
    duplicate: fc.array(known, { maxLength: 2 }),
    csrf: fc.constantFrom('valid', 'valid', 'valid', 'valid', 'missing', 'wrong'),
    accept: fc.constantFrom('html', 'html', 'json'),
    params: fc.record(Object.fromEntries(params.map((p) => [p, fc.constantFrom(...paramVariants)]))) as fc.Arbitrary<
      Record<string, (typeof paramVariants)[number]>
    >,
  })
}

/** A urlencoded value, or several (a duplicated field), from whatever was generated. */
function asFormValues(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
  if (typeof value === 'string') return [value]
  return [value === undefined ? '' : JSON.stringify(value)]
}

function encode(encoding: Encoding, fields: Record<string, unknown>, duplicate: string[]): { type?: string; body?: Buffer } {
  const pairs: Array<[string, string]> = []
  for (const [name, value] of Object.entries(fields)) for (const v of asFormValues(value)) pairs.push([name, v])
  for (const name of duplicate) if (name in fields) pairs.push([name, asFormValues(fields[name])[0] ?? ''])
  const urlencoded = new URLSearchParams(pairs).toString()
  switch (encoding) {
    case 'form':
      return { type: 'application/x-www-form-urlencoded', body: Buffer.from(urlencoded) }
    case 'form-utf16':
      return { type: 'application/x-www-form-urlencoded; charset=utf-16', body: Buffer.from(urlencoded, 'utf16le') }
    case 'json':
      return { type: 'application/json', body: Buffer.from(JSON.stringify(fields)) }
    case 'json-array':
      return { type: 'application/json', body: Buffer.from(JSON.stringify(Object.values(fields))) }
    case 'text':
      return { type: 'text/plain', body: Buffer.from(urlencoded) }
    case 'multipart': {
      const boundary = 'fuzzBoundary7MA4YWxkTrZu0gW'
      const parts = pairs.map(([n, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${n.replace(/"/g, '')}"\r\n\r\n${v}\r\n`)
      return { type: `multipart/form-data; boundary=${boundary}`, body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`) }
    }
    case 'xml': {
      const escape = (t: string) => t.replace(/[<&>]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;' })[c]!)
      const elements = pairs.map(([n, v]) => `<field name="${escape(n).replace(/"/g, '')}">${escape(v)}</field>`)
      return { type: 'application/xml', body: Buffer.from(`<?xml version="1.0"?><form>${elements.join('')}</form>`) }
    }
    case 'none':
      return {}
  }
}

describe('fuzzing every route', () => {
  let context: TestContext
  let ids: RouteIds
  let otherIds: RouteIds
  const agents = new Map<ActorName, Agent>()
  const scopes = new Map<ActorName, Scope>()
  const forms: Forms = new Map()
  const getForms: Forms = new Map()

  const tokens = new Map<ActorName, string>()

  async function signInAs(actor: ActorName): Promise<Agent> {
    const agent =
      actor === 'anonymous' || actor === 'apiClient'
        ? request.agent(context.app)
        : await signIn(context.app, emails[actor], testDemoPassword)
    agents.set(actor, agent)
    tokens.delete(actor)
    return agent
  }

  /** The actor's CSRF token, read from a page of their own session as a browser would (it lasts as long as the session). */
  async function tokenOf(actor: ActorName): Promise<string> {
    const known = tokens.get(actor)
    if (known) return known
    const page = await agents.get(actor)!.get(actor === 'anonymous' || actor === 'apiClient' ? '/sign-in' : '/home')
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    tokens.set(actor, token)
    return token
  }

  beforeAll(async () => {
    // Rate limits high enough that the generated sign-ins and link attempts are not all refused early.
    context = await createTestContext({
      demo: true,
      env: { SIGN_IN_RATE_LIMIT: '10000', TOKEN_RATE_LIMIT: '10000', API_RATE_LIMIT: '100000', DEMO_API_TOKEN: apiToken },
    })
    ids = await demoRouteIds(context.db)
    const demoIcsId = ((await context.db('ics').orderBy('id').first('id')) as { id: number }).id
    // Requests that really act (deactivate, change a role) aim at people nobody here signs in as.
    ids['users:id'] = await addUser(context, 'fuzz.bystander@example.org', { role: 'viewer', ics_id: demoIcsId })
    ids.membershipId = ((await context.db('memberships').where({ user_id: ids['users:id'] }).first('id')) as { id: number }).id

    // Another ICS, with its own place, partner and lead: what every other actor must leave alone.
    const [otherIcs] = (await context.db('ics').insert({ name: 'Fuzz ICS', slug: 'fuzz-ics', created_at: timestamp() }, ['id'])) as Array<{
      id: number
    }>
    const [otherPlace] = (await context
      .db('places')
      .insert({ ics_id: otherIcs!.id, name: 'Fuzz Place', slug: 'fuzz-place', created_at: timestamp() }, ['id'])) as Array<{ id: number }>
    const [otherOrganisation] = (await context
      .db('organisations')
      .insert({ place_id: otherPlace!.id, name: 'Fuzz Council', kind: 'council', created_at: timestamp() }, ['id'])) as Array<{
      id: number
    }>
    await addUser(context, emails.otherIcsLead, { role: 'ics_lead', ics_id: otherIcs!.id })
    const otherBystander = await addUser(context, 'fuzz.other.bystander@example.org', {
      role: 'partner',
      ics_id: otherIcs!.id,
      place_id: otherPlace!.id,
      organisation_id: otherOrganisation!.id,
    })
    otherIds = {
      ...ids,
      placeId: otherPlace!.id,
      organisationId: otherOrganisation!.id,
      'users:id': otherBystander,
      membershipId: ((await context.db('memberships').where({ user_id: otherBystander }).first('id')) as { id: number }).id,
    }

    const wirral = Number(ids.placeId)
    scopes.set('anonymous', null)
    // The API only reads.
    scopes.set('apiClient', null)
    scopes.set('viewer', null)
    scopes.set('partner', { ics: demoIcsId, place: wirral, organisation: Number(ids.organisationId) })
    scopes.set('placeLead', { ics: demoIcsId, place: wirral })
    scopes.set('icsLead', { ics: demoIcsId })
    scopes.set('otherIcsLead', { ics: otherIcs!.id })
    for (const actor of actorNames) await signInAs(actor)

    // Every page as every actor: the forms they show are where generated bodies start.
    for (const route of knownRoutes(context.app).filter((r) => r.method === 'get')) {
      if (/\.(pdf|csv|xlsx|js|css)$/.test(route.path)) continue
      // Viewers and other ICSs see no form the leads and partners do not.
      for (const actor of ['anonymous', 'icsLead', 'placeLead', 'partner'] as const) {
        const page = await agents.get(actor)!.get(concretePath(route.path, ids))
        if (page.status === 200 && page.type === 'text/html') {
          harvestForms(page.text, forms)
          for (const m of page.text.matchAll(/<form\b[^>]*method="get"[^>]*>[\s\S]*?<\/form>/g)) harvestForms(m[0], getForms)
        }
      }
    }
  }, 60_000)
  afterAll(() => context.close())

  function urlFor(route: KnownRoute, params: Generated['params']): string {
    const chosen: RouteIds = {}
    for (const [name, variant] of Object.entries(params)) {
      const qualified = Object.keys(ids).find((k) => k.endsWith(`:${name}`) && route.path.includes(`${k.split(':')[0]}/:${name}`))
      const key = qualified ?? name
      chosen[key] = variant === 'valid' ? (ids[key] ?? 1) : variant === 'other' ? (otherIds[key] ?? 1) : variant
    }
    return concretePath(route.path, { ...ids, ...chosen })
  }

  it(
    'never answers 500, never changes what a refused request touched, never reaches outside the actor’s scope',
    async () => {
      const routes = knownRoutes(context.app)
      expect(routes.filter((r) => r.rule === undefined && !r.path.startsWith('/assets/'))).toEqual([])
      const failures: string[] = []
      let requests = 0
      const budgetEnds = Date.now() + fuzzBudgetMs
      // What is saved now: each request is compared with what the last left (GETs change nothing, checked per route).
      let current = await snapshot(context)

      for (const route of routes) {
        const templatePath = route.path
        const formsHere = [...(route.method === 'post' ? forms : getForms).entries()]
          .filter(([action]) => new RegExp(`^${templatePath.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(action))
          .flatMap(([, list]) => list)
        const fieldNames = [...new Set(formsHere.flatMap((f) => Object.keys(f)))].filter((n) => n !== '_csrf')

        const property = fc.asyncProperty(requestArbitrary(route, fieldNames), async (g) => {
          requests++
          const agent = agents.get(g.actor)!
          const url = urlFor(route, g.params)
          const base = formsHere.length > 0 ? { ...formsHere[g.base % formsHere.length]! } : {}
          for (const name of g.drop) delete base[name]
          const fields: Record<string, unknown> = { ...base, ...g.override, ...g.extra }
          const token = g.csrf === 'valid' ? await tokenOf(g.actor) : g.csrf === 'wrong' ? 'not-the-token' : undefined
          if (token !== undefined && !('_csrf' in g.extra)) fields._csrf = token
          else if (token === undefined) delete fields._csrf

          const before = route.method === 'post' ? current : undefined
          let response: request.Response
          if (route.method === 'get') {
            const query = new URLSearchParams(
              Object.entries(fields).flatMap(([n, v]) => asFormValues(v).map((s) => [n, s] as [string, string])),
            )
            const get = agent.get(`${url}?${query.toString()}`).set('Accept', g.accept === 'json' ? 'application/json' : 'text/html')
            if (g.actor === 'apiClient') get.set('Authorization', `Bearer ${apiToken}`)
            response = await get
          } else {
            const { type, body } = encode(g.encoding, fields, g.duplicate)
            const post = agent.post(url).set('Accept', g.accept === 'json' ? 'application/json' : 'text/html')
            if (g.actor === 'apiClient') post.set('Authorization', `Bearer ${apiToken}`)
            if (token !== undefined && !['form', 'json'].includes(g.encoding)) post.set('x-csrf-token', token)
            if (type) post.set('Content-Type', type)
            response = await (body ? post.send(body) : post)
          }

          const problems: string[] = []
          if (response.status >= 500) problems.push(`answered ${response.status}`)
          if (response.status >= 400 && machineWording.test(response.text))
            problems.push(`showed a machine's message: ${machineWording.exec(response.text)![0]}`)
          const location = response.headers.location as string | undefined
          if (location !== undefined && !/^\/(?![/\\])/.test(location)) problems.push(`redirected off the site to ${location}`)
          if (before) {
            current = await snapshot(context)
            const changed = changes(before, current)
            if (response.status >= 400 && changed.length > 0)
              problems.push(`answered ${response.status} but changed ${changed.map((c) => c.key).join(', ')}`)
            for (const { key } of changed) {
              const row = current.rows.get(key)
              const long =
                row &&
                Object.entries(JSON.parse(row.content) as Record<string, unknown>).find(
                  ([column, value]) => typeof value === 'string' && value.length > longestField && !generatedColumns.includes(column),
                )
              if (long) problems.push(`saved ${long[0]} of ${key} at ${(long[1] as string).length} characters`)
            }
            const outside = changed.filter((c) => !inScope(scopes.get(g.actor)!, c.scope))
            if (outside.length > 0) problems.push(`changed outside the ${g.actor}'s scope: ${outside.map((c) => c.key).join(', ')}`)
          }
          // A session ended by the request (sign-out, a role changed): sign in again for the next one.
          if (g.actor !== 'anonymous' && g.actor !== 'apiClient' && route.path === '/sign-out') await signInAs(g.actor)
          if (problems.length > 0) {
            throw new Error(`${route.method.toUpperCase()} ${url} as ${g.actor} (${g.encoding}): ${problems.join('; ')}`)
          }
        })
        const started = Date.now()
        // A slow machine gets fewer runs per route, never a timeout: the budget is shared among the routes left,
        // and once it is spent each remaining route still gets exactly one request, however long that takes
        // (a board report takes a while to lay out; on a busy machine PostgreSQL's snapshots do too).
        const routesLeft = routes.length - routes.indexOf(route)
        const share = ((budgetEnds - started) / routesLeft) * (route.method === 'post' ? 1.6 : 0.5)
        const oneRequest = { seed, numRuns: 1, endOnFailure: true }
        let result =
          share > 0
            ? await fc.check(property, {
                ...oneRequest,
                numRuns: route.method === 'post' ? postRuns : getRuns,
                interruptAfterTimeLimit: Math.max(1000, share),
              })
            : await fc.check(property, oneRequest)
        if (result.interrupted && result.numRuns === 0) result = await fc.check(property, oneRequest)
        if (route.method === 'get') {
          const after = await snapshot(context)
          const changed = changes(current, after)
          if (changed.length > 0) failures.push(`GET ${route.path} changed ${changed.map((c) => c.key).join(', ')}`)
          current = after
        }
        if (process.env.FUZZ_DEBUG) process.stderr.write(`${route.method} ${route.path}: ${Date.now() - started} ms\n`)
        if (result.failed) {
          const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)
          failures.push(
            `${route.method.toUpperCase()} ${route.path}: ${cause.slice(0, 600)}\n  replay: FUZZ_SEED=${seed} (path ${result.counterexamplePath})`,
          )
        }
      }
      if (failures.length > 0) console.error(`Fuzzing with seed ${seed} found:\n${failures.join('\n')}`)
      expect(failures).toEqual([])
      expect(requests).toBeGreaterThan(routes.length)
    },
    // A guard against a hang, not a speed limit: the budget above keeps a normal run near 70 seconds.
    300_000 * runScale,
  )
})
