import type { Express } from 'express'
import request from 'supertest'
import { rulesOf } from '../../server/auth/guardedRouter'
import { timestamp } from '../../server/db/values'
import { createTestContext, testDemoPassword, type TestContext } from '../helpers/app'
import { csrfFrom, signIn, type Agent } from '../helpers/session'
import { addUser } from '../helpers/users'

/**
 * Every route of the app, for every kind of visitor: anonymous, each role, a place lead of
 * another place and an ICS lead of another ICS. A route added without an entry here, or
 * without an access rule, fails this test.
 */

type Actor = 'anonymous' | 'icsLead' | 'placeLead' | 'partner' | 'viewer' | 'otherPlaceLead' | 'otherIcsLead'
const actors: Actor[] = ['anonymous', 'icsLead', 'placeLead', 'partner', 'viewer', 'otherPlaceLead', 'otherIcsLead']

/** 'ok' means allowed through: neither refused (403/404) nor sent to sign in. */
type Expected = number | 'ok'

interface Ids {
  partnerUserId: number
  partnerMembershipId: number
  targetUserId: number
  outboxId: number
  wirralInvitationId: number
  roundId: number
  wirralCouncilId: number
  wirralId: number
  demoIcsId: number
  actionId: number
  importId: number
  bundledVersionId: number
  draftVersionId: number
  apiTokenId: number
}

interface Case {
  method: 'get' | 'post'
  path: string
  url: (ids: Ids) => string
  expected: Partial<Record<Actor, Expected>> & { default: Expected }
}

const publicPage = { default: 200 } as const
const signedInRedirect = { default: 303, anonymous: 200 } as const
const icsLeadOnly = { default: 403, anonymous: 303, icsLead: 'ok', otherIcsLead: 404 } as const

const assessment = '/rounds/:roundId/organisations/:organisationId'
const assessmentOf = (ids: Ids) => `/rounds/${ids.roundId}/organisations/${ids.wirralCouncilId}`
/** Wirral Council's own partner, Wirral's place lead and the ICS lead may read its answers; nobody else may know they exist. */
const assessmentReaders = (status: Expected) =>
  ({ default: 404, anonymous: 303, icsLead: status, placeLead: status, partner: status }) as const

const placeOf = (ids: Ids) => `/rounds/${ids.roundId}/places/${ids.wirralId}`
/** Wirral's return: its place lead, the ICS lead and ICS-wide viewers may read it; partners may not. */
const placeReaders = { default: 404, anonymous: 303, partner: 403, icsLead: 200, placeLead: 200, viewer: 200 } as const
const placeManagers = { default: 404, anonymous: 303, partner: 403, viewer: 403, icsLead: 400, placeLead: 400 } as const
const downloaders = { default: 403, anonymous: 303, icsLead: 200, placeLead: 200, otherPlaceLead: 200, otherIcsLead: 404 } as const
const dashboardReaders = { default: 200, anonymous: 303, partner: 403, otherIcsLead: 404 } as const
/** A place's administration: the ICS lead and the place's own lead; other leads may not know it exists. */
const placeAdmins = { default: 403, anonymous: 303, icsLead: 200, placeLead: 200, otherPlaceLead: 404, otherIcsLead: 404 } as const
const placeAssurer = { default: 403, anonymous: 303, icsLead: 400, otherIcsLead: 404 } as const

const cases: Case[] = [
  { method: 'get', path: '/healthz', url: () => '/healthz', expected: publicPage },
  { method: 'get', path: '/readyz', url: () => '/readyz', expected: publicPage },
  { method: 'get', path: '/assets/nhsuk-frontend.css', url: () => '/assets/nhsuk-frontend.css', expected: publicPage },
  { method: 'get', path: '/assets/nhsuk-frontend.js', url: () => '/assets/nhsuk-frontend.js', expected: publicPage },
  { method: 'get', path: '/assets/chart.umd.js', url: () => '/assets/chart.umd.js', expected: publicPage },
  {
    method: 'get',
    path: '/assets/v/:fingerprint/*asset',
    url: () => '/assets/v/000000000000/static/js/app.js',
    expected: publicPage,
  },
  { method: 'get', path: '/framework', url: () => '/framework', expected: publicPage },
  { method: 'get', path: '/schemas/framework.json', url: () => '/schemas/framework.json', expected: publicPage },
  { method: 'get', path: '/', url: () => '/', expected: signedInRedirect },
  { method: 'get', path: '/home', url: () => '/home', expected: { default: 200, anonymous: 303 } },
  { method: 'get', path: '/sign-in', url: () => '/sign-in', expected: signedInRedirect },
  { method: 'post', path: '/sign-in', url: () => '/sign-in', expected: { default: 400 } },
  { method: 'post', path: '/sign-out', url: () => '/sign-out', expected: { default: 303 } },
  { method: 'get', path: '/signed-out', url: () => '/signed-out', expected: signedInRedirect },
  { method: 'get', path: '/forgotten-password', url: () => '/forgotten-password', expected: publicPage },
  { method: 'post', path: '/forgotten-password', url: () => '/forgotten-password', expected: { default: 400 } },
  { method: 'get', path: '/reset-password/:token', url: () => '/reset-password/unknown', expected: { default: 404 } },
  { method: 'post', path: '/reset-password/:token', url: () => '/reset-password/unknown', expected: { default: 404 } },
  { method: 'get', path: '/invitations/:token', url: () => '/invitations/unknown', expected: { default: 404 } },
  { method: 'post', path: '/invitations/:token', url: () => '/invitations/unknown', expected: { default: 404 } },
  {
    method: 'get',
    path: '/admin/invitations',
    url: () => '/admin/invitations',
    expected: { default: 403, anonymous: 303, icsLead: 200, placeLead: 200, otherPlaceLead: 200, otherIcsLead: 200 },
  },
  {
    method: 'post',
    path: '/admin/invitations',
    url: () => '/admin/invitations',
    expected: { default: 403, anonymous: 303, icsLead: 400, placeLead: 400, otherPlaceLead: 400, otherIcsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/invitations/:id/resend',
    url: (ids) => `/admin/invitations/${ids.wirralInvitationId}/resend`,
    expected: { default: 403, anonymous: 303, icsLead: 303, placeLead: 303, otherPlaceLead: 404, otherIcsLead: 404 },
  },
  {
    method: 'post',
    path: '/admin/invitations/:id/revoke',
    url: (ids) => `/admin/invitations/${ids.wirralInvitationId}/revoke`,
    expected: { default: 403, anonymous: 303, icsLead: 303, placeLead: 303, otherPlaceLead: 404, otherIcsLead: 404 },
  },
  { method: 'get', path: '/admin/users', url: () => '/admin/users', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  { method: 'get', path: '/admin/users/:id', url: (ids) => `/admin/users/${ids.partnerUserId}`, expected: icsLeadOnly },
  {
    method: 'post',
    path: '/admin/users/:id/memberships/:membershipId',
    url: (ids) => `/admin/users/${ids.partnerUserId}/memberships/${ids.partnerMembershipId}`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/users/:id/deactivate',
    url: (ids) => `/admin/users/${ids.targetUserId}/deactivate`,
    expected: icsLeadOnly,
  },
  {
    method: 'post',
    path: '/admin/users/:id/reactivate',
    url: (ids) => `/admin/users/${ids.targetUserId}/reactivate`,
    expected: icsLeadOnly,
  },
  { method: 'get', path: '/admin/outbox', url: () => '/admin/outbox', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  { method: 'get', path: '/admin/outbox/:id', url: (ids) => `/admin/outbox/${ids.outboxId}`, expected: icsLeadOnly },
  { method: 'get', path: '/admin/audit', url: () => '/admin/audit', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  { method: 'get', path: '/assessments', url: () => '/assessments', expected: { default: 403, anonymous: 303, partner: 200 } },
  { method: 'get', path: `${assessment}`, url: (ids) => assessmentOf(ids), expected: assessmentReaders(200) },
  {
    method: 'get',
    path: `${assessment}/domains/:domainCode`,
    url: (ids) => `${assessmentOf(ids)}/domains/AV`,
    expected: assessmentReaders(200),
  },
  {
    method: 'post',
    path: `${assessment}/domains/:domainCode`,
    url: (ids) => `${assessmentOf(ids)}/domains/AV`,
    expected: { default: 403, anonymous: 303, partner: 'ok' },
  },
  { method: 'get', path: `${assessment}/check`, url: (ids) => `${assessmentOf(ids)}/check`, expected: assessmentReaders(200) },
  {
    method: 'post',
    path: `${assessment}/submit`,
    url: (ids) => `${assessmentOf(ids)}/submit`,
    expected: { default: 403, anonymous: 303, partner: 400 },
  },
  {
    method: 'get',
    path: `${assessment}/confirmation`,
    url: (ids) => `${assessmentOf(ids)}/confirmation`,
    expected: assessmentReaders(303),
  },
  { method: 'get', path: `${assessment}/answers.csv`, url: (ids) => `${assessmentOf(ids)}/answers.csv`, expected: assessmentReaders(200) },
  {
    method: 'get',
    path: `${assessment}/criteria/:code/history`,
    url: (ids) => `${assessmentOf(ids)}/criteria/AV1/history`,
    expected: { default: 403, anonymous: 303, icsLead: 200, partner: 200, otherIcsLead: 404 },
  },
  { method: 'get', path: '/rounds/:roundId/places/:placeId', url: (ids) => placeOf(ids), expected: placeReaders },
  {
    method: 'get',
    path: '/rounds/:roundId/places/:placeId/criteria/:code',
    url: (ids) => `${placeOf(ids)}/criteria/DD1`,
    expected: placeReaders,
  },
  {
    method: 'post',
    path: '/rounds/:roundId/places/:placeId/criteria/:code/position',
    url: (ids) => `${placeOf(ids)}/criteria/DD1/position`,
    expected: placeManagers,
  },
  {
    method: 'post',
    path: '/rounds/:roundId/places/:placeId/criteria/:code/moderation',
    url: (ids) => `${placeOf(ids)}/criteria/DD1/moderation`,
    expected: placeAssurer,
  },
  {
    method: 'post',
    path: '/rounds/:roundId/places/:placeId/return/submit',
    url: (ids) => `${placeOf(ids)}/return/submit`,
    expected: placeManagers,
  },
  {
    method: 'post',
    path: '/rounds/:roundId/places/:placeId/return/reopen',
    url: (ids) => `${placeOf(ids)}/return/reopen`,
    expected: placeAssurer,
  },
  { method: 'post', path: '/rounds/:roundId/places/:placeId/decision', url: (ids) => `${placeOf(ids)}/decision`, expected: placeAssurer },
  { method: 'get', path: '/places', url: () => '/places', expected: { default: 200, anonymous: 303, partner: 403 } },
  { method: 'get', path: '/places/:placeId', url: (ids) => `/places/${ids.wirralId}`, expected: placeReaders },
  { method: 'post', path: '/places/:placeId/actions', url: (ids) => `/places/${ids.wirralId}/actions`, expected: placeManagers },
  {
    method: 'get',
    path: '/places/:placeId/actions/:actionId',
    url: (ids) => `/places/${ids.wirralId}/actions/${ids.actionId}`,
    expected: { ...placeManagers, icsLead: 200, placeLead: 200 },
  },
  {
    method: 'post',
    path: '/places/:placeId/actions/:actionId',
    url: (ids) => `/places/${ids.wirralId}/actions/${ids.actionId}`,
    expected: placeManagers,
  },
  // The dashboard: ICS leads and viewers every place, place leads their own place (Liverpool's lead too, for Liverpool).
  { method: 'get', path: '/dashboard', url: () => '/dashboard', expected: { default: 303, partner: 403, otherIcsLead: 200 } },
  { method: 'get', path: '/rounds/:roundId/dashboard', url: (ids) => `/rounds/${ids.roundId}/dashboard`, expected: dashboardReaders },
  {
    method: 'get',
    path: '/rounds/:roundId/dashboard.csv',
    url: (ids) => `/rounds/${ids.roundId}/dashboard.csv`,
    expected: dashboardReaders,
  },
  {
    method: 'get',
    path: '/rounds/:roundId/dashboard.xlsx',
    url: (ids) => `/rounds/${ids.roundId}/dashboard.xlsx`,
    expected: dashboardReaders,
  },
  { method: 'get', path: '/rounds', url: () => '/rounds', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  { method: 'get', path: '/rounds/:roundId/manage', url: (ids) => `/rounds/${ids.roundId}/manage`, expected: icsLeadOnly },
  {
    method: 'post',
    path: '/rounds/:roundId/extend',
    url: (ids) => `/rounds/${ids.roundId}/extend`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  { method: 'post', path: `${assessment}/reopen`, url: (ids) => `${assessmentOf(ids)}/reopen`, expected: { ...icsLeadOnly, icsLead: 400 } },
  // Running rounds (issue 16): the ICS lead of the round's ICS only.
  { method: 'get', path: '/rounds/new', url: () => '/rounds/new', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  { method: 'post', path: '/rounds', url: () => '/rounds', expected: { ...icsLeadOnly, icsLead: 400, otherIcsLead: 400 } },
  { method: 'get', path: '/rounds/:roundId/edit', url: (ids) => `/rounds/${ids.roundId}/edit`, expected: { ...icsLeadOnly, icsLead: 303 } },
  {
    method: 'post',
    path: '/rounds/:roundId/edit',
    url: (ids) => `/rounds/${ids.roundId}/edit`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/rounds/:roundId/open',
    url: (ids) => `/rounds/${ids.roundId}/open`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/rounds/:roundId/close',
    url: (ids) => `/rounds/${ids.roundId}/close`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/rounds/:roundId/reminders',
    url: (ids) => `/rounds/${ids.roundId}/reminders`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  {
    method: 'post',
    path: '/rounds/:roundId/remind',
    url: (ids) => `/rounds/${ids.roundId}/remind`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  {
    method: 'get',
    path: '/rounds/:roundId/manage/places/:placeId',
    url: (ids) => `/rounds/${ids.roundId}/manage/places/${ids.wirralId}`,
    expected: icsLeadOnly,
  },
  {
    method: 'post',
    path: '/rounds/:roundId/manage/places/:placeId/remind',
    url: (ids) => `/rounds/${ids.roundId}/manage/places/${ids.wirralId}/remind`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  { method: 'post', path: `${assessment}/remind`, url: (ids) => `${assessmentOf(ids)}/remind`, expected: { ...icsLeadOnly, icsLead: 303 } },
  // Places and partner organisations: ICS leads of the ICS, and the place's own lead for its organisations.
  {
    method: 'get',
    path: '/admin/places',
    url: () => '/admin/places',
    expected: { ...placeAdmins, default: 403, otherPlaceLead: 200, otherIcsLead: 200 },
  },
  { method: 'post', path: '/admin/places', url: () => '/admin/places', expected: { ...icsLeadOnly, icsLead: 400, otherIcsLead: 400 } },
  { method: 'get', path: '/admin/places/:placeId', url: (ids) => `/admin/places/${ids.wirralId}`, expected: placeAdmins },
  {
    method: 'post',
    path: '/admin/places/:placeId',
    url: (ids) => `/admin/places/${ids.wirralId}`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/places/:placeId/retire',
    url: (ids) => `/admin/places/${ids.wirralId}/retire`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/places/:placeId/reinstate',
    url: (ids) => `/admin/places/${ids.wirralId}/reinstate`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/places/:placeId/organisations',
    url: (ids) => `/admin/places/${ids.wirralId}/organisations`,
    expected: { ...placeAdmins, icsLead: 400, placeLead: 400 },
  },
  { method: 'get', path: '/admin/places/:placeId/contacts', url: (ids) => `/admin/places/${ids.wirralId}/contacts`, expected: placeAdmins },
  {
    method: 'post',
    path: '/admin/places/:placeId/contacts',
    url: (ids) => `/admin/places/${ids.wirralId}/contacts`,
    expected: { ...placeAdmins, icsLead: 400, placeLead: 400 },
  },
  {
    method: 'get',
    path: '/admin/organisations/:organisationId',
    url: (ids) => `/admin/organisations/${ids.wirralCouncilId}`,
    expected: placeAdmins,
  },
  {
    method: 'post',
    path: '/admin/organisations/:organisationId',
    url: (ids) => `/admin/organisations/${ids.wirralCouncilId}`,
    expected: { ...placeAdmins, icsLead: 400, placeLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/organisations/:organisationId/retire',
    url: (ids) => `/admin/organisations/${ids.wirralCouncilId}/retire`,
    expected: { ...placeAdmins, icsLead: 400, placeLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/organisations/:organisationId/reinstate',
    url: (ids) => `/admin/organisations/${ids.wirralCouncilId}/reinstate`,
    expected: { ...placeAdmins, icsLead: 400, placeLead: 400 },
  },
  // CSV imports: ICS leads, each of their own ICS's imports.
  { method: 'get', path: '/admin/imports', url: () => '/admin/imports', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  {
    method: 'get',
    path: '/admin/imports/template.csv',
    url: () => '/admin/imports/template.csv',
    expected: { ...icsLeadOnly, otherIcsLead: 200 },
  },
  { method: 'post', path: '/admin/imports', url: () => '/admin/imports', expected: { ...icsLeadOnly, icsLead: 400, otherIcsLead: 400 } },
  { method: 'get', path: '/admin/imports/:id', url: (ids) => `/admin/imports/${ids.importId}`, expected: icsLeadOnly },
  {
    method: 'get',
    path: '/admin/imports/:id/status.json',
    url: (ids) => `/admin/imports/${ids.importId}/status.json`,
    expected: icsLeadOnly,
  },
  {
    method: 'get',
    path: '/admin/imports/:id/problems.csv',
    url: (ids) => `/admin/imports/${ids.importId}/problems.csv`,
    expected: icsLeadOnly,
  },
  {
    method: 'post',
    path: '/admin/imports/:id/confirm',
    url: (ids) => `/admin/imports/${ids.importId}/confirm`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/imports/:id/cancel',
    url: (ids) => `/admin/imports/${ids.importId}/cancel`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  // Frameworks: the bundled ones are every ICS lead's; a draft is its own ICS's.
  { method: 'get', path: '/admin/frameworks', url: () => '/admin/frameworks', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  {
    method: 'post',
    path: '/admin/frameworks',
    url: () => '/admin/frameworks',
    expected: { ...icsLeadOnly, icsLead: 400, otherIcsLead: 400 },
  },
  {
    method: 'get',
    path: '/admin/frameworks/compare',
    url: () => '/admin/frameworks/compare',
    expected: { ...icsLeadOnly, otherIcsLead: 200 },
  },
  { method: 'get', path: '/admin/frameworks/:versionId', url: (ids) => `/admin/frameworks/${ids.draftVersionId}`, expected: icsLeadOnly },
  {
    method: 'get',
    path: '/admin/frameworks/:versionId/download.json',
    url: (ids) => `/admin/frameworks/${ids.bundledVersionId}/download.json`,
    expected: { ...icsLeadOnly, otherIcsLead: 200 },
  },
  {
    method: 'post',
    path: '/admin/frameworks/:versionId/drafts',
    url: (ids) => `/admin/frameworks/${ids.draftVersionId}/drafts`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  {
    method: 'post',
    path: '/admin/frameworks/:versionId',
    url: (ids) => `/admin/frameworks/${ids.draftVersionId}`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
  // Exports: the ICS lead downloads the whole round, place leads their own place's part (Liverpool's lead too).
  ...['', '/answers.csv', '/answers.xlsx', '/results.csv', '/results.xlsx', '/plan.csv', '/plan.xlsx', '/round.json'].map((file): Case => ({
    method: 'get',
    path: `/rounds/:roundId/downloads${file}`,
    url: (ids) => `/rounds/${ids.roundId}/downloads${file}`,
    expected: { ...downloaders },
  })),
  // The audit trail is the ICS lead's; without a date range the form answers 400.
  ...['/audit.csv', '/audit.xlsx'].map((file): Case => ({
    method: 'get',
    path: `/rounds/:roundId/downloads${file}`,
    url: (ids) => `/rounds/${ids.roundId}/downloads${file}`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  })),
  { method: 'get', path: '/admin/api-tokens', url: () => '/admin/api-tokens', expected: { ...icsLeadOnly, otherIcsLead: 200 } },
  {
    method: 'post',
    path: '/admin/api-tokens',
    url: () => '/admin/api-tokens',
    expected: { ...icsLeadOnly, icsLead: 400, otherIcsLead: 400 },
  },
  {
    method: 'post',
    path: '/admin/api-tokens/:id/revoke',
    url: (ids) => `/admin/api-tokens/${ids.apiTokenId}/revoke?ics=${ids.demoIcsId}`,
    expected: { ...icsLeadOnly, icsLead: 303 },
  },
  { method: 'get', path: '/developers/api', url: () => '/developers/api', expected: publicPage },
  // The JSON API answers to tokens only: a signed-in session is no token (its description is public).
  { method: 'get', path: '/api/v1/openapi.json', url: () => '/api/v1/openapi.json', expected: publicPage },
  ...[
    ['/api/v1/rounds', () => '/api/v1/rounds'],
    ['/api/v1/rounds/:roundId/results', (ids: Ids) => `/api/v1/rounds/${ids.roundId}/results`],
    ['/api/v1/rounds/:roundId/places/:placeId', (ids: Ids) => `/api/v1/rounds/${ids.roundId}/places/${ids.wirralId}`],
    ['/api/v1/rounds/:roundId/answers', (ids: Ids) => `/api/v1/rounds/${ids.roundId}/answers`],
    ['/api/v1/frameworks/:frameworkId', () => '/api/v1/frameworks/1'],
    ['/api/v1/rounds/:roundId/places/:placeId/report.pdf', (ids: Ids) => `/api/v1/rounds/${ids.roundId}/places/${ids.wirralId}/report.pdf`],
    ['/api/v1/rounds/:roundId/report.pdf', (ids: Ids) => `/api/v1/rounds/${ids.roundId}/report.pdf`],
  ].map(([path, url]): Case => ({ method: 'get', path: path as string, url: url as (ids: Ids) => string, expected: { default: 401 } })),
  // Reports of the current round, not yet published: drafts for ICS leads and the place's own place lead only.
  {
    method: 'get',
    path: '/rounds/:roundId/places/:placeId/report.pdf',
    url: (ids) => `${placeOf(ids)}/report.pdf`,
    expected: { default: 404, anonymous: 303, partner: 403, icsLead: 200, placeLead: 200 },
  },
  {
    method: 'get',
    path: '/rounds/:roundId/report.pdf',
    url: (ids) => `/rounds/${ids.roundId}/report.pdf`,
    expected: { default: 403, anonymous: 303, icsLead: 200, viewer: 404, otherIcsLead: 404 },
  },
  {
    method: 'get',
    path: '/rounds/:roundId/reports',
    url: (ids) => `/rounds/${ids.roundId}/reports`,
    expected: { default: 404, anonymous: 303, partner: 403, icsLead: 200, placeLead: 200, otherPlaceLead: 200 },
  },
  {
    method: 'post',
    path: '/rounds/:roundId/publish',
    url: (ids) => `/rounds/${ids.roundId}/publish`,
    expected: { ...icsLeadOnly, icsLead: 400 },
  },
]

interface Layer {
  route?: { path: string; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
  name?: string
}

/** Every route in the app, walking nested routers, each with whether it declared an access rule. */
function routesOf(app: Express): Array<{ key: string; guarded: boolean }> {
  const found: Array<{ key: string; guarded: boolean }> = []
  const walk = (stack: Layer[], owner: object | undefined) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) {
          const rules = owner ? rulesOf(owner) : undefined
          const guarded = Boolean(rules?.some((r) => r.method === method && r.path === layer.route!.path))
          found.push({ key: `${method.toUpperCase()} ${layer.route.path}`, guarded })
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, layer.handle)
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, undefined)
  return found
}

/** An import with problems (so confirming it is refused) and a framework draft of the demo ICS, made as its lead would. */
async function administrationIds(
  context: TestContext,
  icsId: number,
): Promise<Pick<Ids, 'importId' | 'bundledVersionId' | 'draftVersionId'>> {
  const leadId = ((await context.db('users').where({ email: 'ics.lead@example.org' }).first('id')) as { id: number }).id
  const lead = (await context.services.accounts.currentUser(leadId))!
  const importId = await context.services.imports.start(
    { user: lead, ip: undefined },
    icsId,
    'wrong.csv',
    Buffer.from('Not,the,right,header\n'),
  )
  await context.services.imports.idle()
  const bundledVersionId = ((await context.db('framework_versions').whereNull('owner_ics_id').orderBy('id').first('id')) as { id: number })
    .id
  const draft = await context.services.frameworks.newDraft({ user: lead, ip: undefined }, icsId, bundledVersionId)
  return { importId, bundledVersionId, draftVersionId: draft.id }
}

describe('the authorisation matrix', () => {
  let context: TestContext
  let ids: Ids
  const agents = new Map<Actor, Agent>()

  beforeAll(async () => {
    context = await createTestContext({ demo: true, env: { SIGN_IN_RATE_LIMIT: '1000', TOKEN_RATE_LIMIT: '1000' } })
    const demoIcs = (await context.db('ics').first('id')) as { id: number }
    const liverpool = (await context.db('places').where({ name: 'Liverpool' }).first('id')) as { id: number }
    const [otherIcs] = (await context
      .db('ics')
      .insert({ name: 'Another ICS', slug: 'another', created_at: timestamp() }, ['id'])) as Array<{ id: number }>
    await addUser(context, 'liverpool.lead@example.org', { role: 'place_lead', ics_id: demoIcs.id, place_id: liverpool.id })
    await addUser(context, 'other.lead@example.org', { role: 'ics_lead', ics_id: otherIcs!.id })
    const targetUserId = await addUser(context, 'target@example.org', { role: 'viewer', ics_id: demoIcs.id })

    const logins: Array<[Actor, string]> = [
      ['icsLead', 'ics.lead@example.org'],
      ['placeLead', 'place.lead.wirral@example.org'],
      ['partner', 'partner.wirral.council@example.org'],
      ['viewer', 'board.viewer@example.org'],
      ['otherPlaceLead', 'liverpool.lead@example.org'],
      ['otherIcsLead', 'other.lead@example.org'],
    ]
    for (const [actor, email] of logins) agents.set(actor, await signIn(context.app, email, testDemoPassword))
    agents.set('anonymous', request.agent(context.app))

    const wirralCouncil = (await context.db('organisations').where({ name: 'Wirral Council' }).first('id')) as { id: number }
    const lead = agents.get('icsLead')!
    const page = await lead.get('/admin/invitations')
    await lead
      .post('/admin/invitations')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        name: 'New Partner',
        email: 'new.partner@example.org',
        role: 'partner',
        organisationId: String(wirralCouncil.id),
      })
    const partner = (await context.db('users').where({ email: 'partner.wirral.council@example.org' }).first('id')) as { id: number }
    const membership = (await context.db('memberships').where({ user_id: partner.id }).first('id')) as { id: number }
    ids = {
      partnerUserId: partner.id,
      partnerMembershipId: membership.id,
      targetUserId,
      outboxId: ((await context.db('outbox').first('id')) as { id: number }).id,
      wirralInvitationId: ((await context.db('invitations').first('id')) as { id: number }).id,
      roundId: ((await context.db('rounds').orderBy('id', 'desc').first('id')) as { id: number }).id,
      wirralCouncilId: wirralCouncil.id,
      wirralId: ((await context.db('places').where({ slug: 'wirral' }).first('id')) as { id: number }).id,
      demoIcsId: demoIcs.id,
      apiTokenId: ((await context.db('api_tokens').where({ ics_id: demoIcs.id }).first('id')) as { id: number }).id,
      actionId: (
        (await context
          .db('development_actions as a')
          .join('places as p', 'p.id', 'a.place_id')
          .where('p.slug', 'wirral')
          .first('a.id')) as { id: number }
      ).id,
      ...(await administrationIds(context, demoIcs.id)),
    }
  })
  afterAll(() => context.close())

  it('covers every route, and every route declares an access rule', () => {
    const routes = routesOf(context.app)
    expect(routes.filter((r) => !r.guarded).map((r) => r.key)).toEqual([])
    const tested = cases.map((c) => `${c.method.toUpperCase()} ${c.path}`)
    expect([...new Set(routes.map((r) => r.key))].sort()).toEqual([...tested].sort())
  })

  const rows = cases.flatMap((c) => actors.map((actor) => [`${c.method.toUpperCase()} ${c.path}`, actor, c] as const))

  it('keeps a deactivated ICS lead out after a place lead re-invites them as a partner', async () => {
    const demoIcs = (await context.db('ics').orderBy('id').first('id')) as { id: number }
    const formerId = await addUser(context, 'returning.lead@example.org', { role: 'ics_lead', ics_id: demoIcs.id })
    const former = await signIn(context.app, 'returning.lead@example.org', testDemoPassword)
    const lead = agents.get('icsLead')!
    const userPage = await lead.get(`/admin/users/${formerId}`)
    const deactivated = await lead
      .post(`/admin/users/${formerId}/deactivate`)
      .type('form')
      .send({ _csrf: csrfFrom(userPage.text) })
    expect(deactivated.status).toBe(303)

    const placeLead = agents.get('placeLead')!
    const invitationsPage = await placeLead.get('/admin/invitations')
    const invited = await placeLead
      .post('/admin/invitations')
      .type('form')
      .send({
        _csrf: csrfFrom(invitationsPage.text),
        name: 'Returning Lead',
        email: 'returning.lead@example.org',
        role: 'partner',
        organisationId: String(ids.wirralCouncilId),
      })
    expect(invited.status).toBe(303)
    const mail = (await context.db('outbox').where({ to_address: 'returning.lead@example.org' }).first('text_body')) as {
      text_body: string
    }
    const link = /\/invitations\/[A-Za-z0-9_-]+/.exec(mail.text_body)![0]
    const page = await former.get(link)
    const accepted = await former
      .post(link)
      .type('form')
      .send({
        _csrf: csrfFrom(page.status === 200 ? page.text : (await former.get('/sign-in')).text),
        password: 'marble-otter-kettle-9',
        confirmPassword: 'marble-otter-kettle-9',
      })
    expect(accepted.status).toBe(403)

    // Not signed in, and unable to sign in: every page that needs a session sends them to sign in.
    const signedInPages = cases.filter((c) => c.method === 'get' && c.expected.anonymous === 303).map((c) => c.url(ids))
    const anyIcsLeadPage = ['/admin/users', '/rounds', '/admin/audit', ...signedInPages]
    for (const url of anyIcsLeadPage) expect([url, (await former.get(url)).status]).toEqual([url, 303])
    await expect(signIn(context.app, 'returning.lead@example.org', 'marble-otter-kettle-9')).rejects.toThrow(/401/)
    expect(
      ((await context.db('memberships').where({ user_id: formerId }).select('role')) as Array<{ role: string }>).map((m) => m.role),
    ).toEqual(['ics_lead'])
  })

  it.each(rows)('%s as %s', async (_name, actor, c) => {
    const agent = agents.get(actor)!
    const url = c.url(ids)
    let response: request.Response
    if (c.method === 'get') {
      response = await agent.get(url)
    } else {
      // A real form post: a valid CSRF token from a page of this visitor's own session.
      const page = await agent.get(actor === 'anonymous' ? '/sign-in' : '/home')
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
      response = await agent.post(url).type('form').send({ _csrf: token })
    }
    const expected = c.expected[actor] ?? c.expected.default
    if (expected === 'ok') {
      expect([403, 404]).not.toContain(response.status)
      expect(response.headers.location ?? '').not.toMatch(/\/sign-in|\/signed-out/)
      expect(response.status).toBeLessThan(500)
    } else {
      expect(response.status).toBe(expected)
    }
    // Sign-out ends the session: sign back in so later rows still see this visitor signed in.
    if (c.path === '/sign-out' && actor !== 'anonymous') {
      const email = {
        icsLead: 'ics.lead@example.org',
        placeLead: 'place.lead.wirral@example.org',
        partner: 'partner.wirral.council@example.org',
        viewer: 'board.viewer@example.org',
        otherPlaceLead: 'liverpool.lead@example.org',
        otherIcsLead: 'other.lead@example.org',
      }[actor]
      agents.set(actor, await signIn(context.app, email, testDemoPassword))
    }
  })
})
