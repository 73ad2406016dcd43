/** The endpoints of /api/v1/, in the order the documentation lists them. */
import { createHash } from 'node:crypto'
import type { Response } from 'express'
import { HttpError, NotFoundError } from '../errors'
import type { RespondentCursor } from '../data/exports'
import { isRowId } from '../db/values'
import { endpoint, type Endpoint, type PdfReport } from './endpoints'
import { openApiDocument } from './openapi'
import * as S from './schemas'
import * as serialise from './serialise'
import { apiBase } from './serialise'

const defaultPageSize = 20

/** A cursor is the last organisation of the page before, opaque to clients (base64url JSON). */
export function encodeCursor(after: RespondentCursor): string {
  return Buffer.from(JSON.stringify([after.placeName, after.organisationName, after.organisationId])).toString('base64url')
}

export function decodeCursor(cursor: string): RespondentCursor {
  const bad = () => new HttpError(400, 'cursor is not one this API gave: copy it from links.next', 'bad_request')
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad()
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw bad()
  }
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    typeof value[0] !== 'string' ||
    typeof value[1] !== 'string' ||
    typeof value[2] !== 'number' ||
    !isRowId(value[2])
  )
    throw bad()
  return { placeName: value[0], organisationName: value[1], organisationId: value[2] as number }
}

/** A strong ETag over the body, so a client can ask "has it changed?" with If-None-Match. */
export function etagOf(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url')}"`
}

async function sendPdf(res: Response, report: PdfReport): Promise<void> {
  res.status(200).type('application/pdf')
  res.setHeader('Content-Disposition', `attachment; filename="${report.fileName.replace(/[^A-Za-z0-9 ._-]+/g, '')}"`)
  await report.write(res)
}

export const endpoints: Endpoint[] = [
  endpoint({
    operationId: 'listRounds',
    path: '/rounds',
    tag: 'Rounds',
    summary: 'The ICS’s assessment rounds',
    description:
      'Every assessment round of the token’s ICS, newest deadline first, with its dates, framework version and taking-part places; a round set up early is listed with the state upcoming until it opens.',
    params: S.noParams,
    query: S.noParams,
    response: { kind: 'json', schema: S.RoundList },
    async handle({ client, deps }) {
      const rounds = await deps.services.results.acrossIcs(client.icsId, { includeUpcoming: true })
      const newestFirst = [...rounds].sort((a, b) => b.round.deadline.getTime() - a.round.deadline.getTime() || b.round.id - a.round.id)
      return { data: newestFirst.map(serialise.round), links: { self: `${apiBase}/rounds` } }
    },
  }),
  endpoint({
    operationId: 'getRoundResults',
    path: '/rounds/{roundId}/results',
    tag: 'Results',
    summary: 'Results of every place in a round',
    description:
      'Per place: the readiness recommendation with its explanation, the recorded decision, and the level of every criterion with where it came from and whether it meets its threshold. Carries an ETag: send it back as If-None-Match to get 304 when nothing changed.',
    params: S.roundPath,
    query: S.noParams,
    response: { kind: 'json', schema: S.RoundResults, etag: true },
    async handle({ client, params, deps }) {
      const scope = await deps.services.exports.scopeForClient(client, params.roundId)
      return serialise.roundResults(await deps.services.exports.roundResults(scope))
    },
  }),
  endpoint({
    operationId: 'getRoundPlace',
    path: '/rounds/{roundId}/places/{placeId}',
    tag: 'Results',
    summary: 'One place in a round, in full',
    description:
      'A place’s results with the partners’ spread of answers per criterion, the agreed position, moderation, domain levels, decision and development plan. Carries an ETag.',
    params: S.roundPlacePath,
    query: S.noParams,
    response: { kind: 'json', schema: S.PlaceDetail, etag: true },
    async handle({ client, params, deps }) {
      await deps.services.exports.scopeForClient(client, params.roundId)
      const results = await deps.services.results.round(params.roundId, { placeIds: [params.placeId] })
      const place = results?.places.find((p) => p.place.id === params.placeId)
      if (!results || !place) throw new NotFoundError('There is no such place in this round')
      return serialise.placeDetail(results, place)
    },
  }),
  endpoint({
    operationId: 'listRoundAnswers',
    path: '/rounds/{roundId}/answers',
    tag: 'Answers',
    summary: 'Partner organisations’ answers, a page at a time',
    description:
      'Every partner organisation of the taking-part places with its response’s status and its saved answers, by place and organisation name. Follow links.next until it is absent.',
    params: S.roundPath,
    query: S.answersQuery,
    response: { kind: 'json', schema: S.AnswerPage },
    async handle({ client, params, query, deps }) {
      const scope = await deps.services.exports.scopeForClient(client, params.roundId)
      const limit = query.limit ?? defaultPageSize
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
      // One more than asked shows whether there is a next page without counting the rest.
      const rows = await deps.services.exports.answersPage(scope, after, limit + 1)
      const page = rows.slice(0, limit)
      const self = new URLSearchParams()
      if (query.limit !== undefined) self.set('limit', String(limit))
      if (query.cursor !== undefined) self.set('cursor', query.cursor)
      const base = `${apiBase}/rounds/${scope.round.id}/answers`
      const last = page[page.length - 1]
      const links: { self: string; next?: string } = { self: self.size ? `${base}?${self}` : base }
      if (rows.length > limit && last) {
        const next = new URLSearchParams({ limit: String(limit), cursor: encodeCursor(last.respondent) })
        links.next = `${base}?${next}`
      }
      return { data: page.map(serialise.respondentAnswers), links }
    },
  }),
  endpoint({
    operationId: 'getFramework',
    path: '/frameworks/{frameworkId}',
    tag: 'Frameworks',
    summary: 'A framework and one of its versions',
    description:
      'A framework’s versions the token’s ICS may see (the bundled ones and its own), and one version in full: levels, domains, criteria with their thresholds and level descriptors, and the readiness rules. Rounds link to the exact version they use.',
    params: S.frameworkPath,
    query: S.frameworkQuery,
    response: { kind: 'json', schema: S.Framework },
    async handle({ client, params, query, deps }) {
      // Another ICS's uploads and drafts are not there for this token, as if they did not exist.
      const versions = await deps.services.frameworks.versionsVisibleTo(client.icsId, params.frameworkId)
      const chosen = query.version === undefined ? versions[0] : versions.find((v) => v.id === query.version)
      if (!chosen) throw new NotFoundError(versions.length ? 'There is no such version of this framework' : 'There is no such framework')
      const version = (await deps.services.frameworks.getVersion(chosen.id))!
      const criteria = await deps.services.frameworks.criteria(chosen.id)
      const self = `${apiBase}/frameworks/${params.frameworkId}${query.version === undefined ? '' : `?version=${query.version}`}`
      return serialise.framework(version, criteria, versions, self)
    },
  }),
  endpoint({
    operationId: 'getPlaceReport',
    path: '/rounds/{roundId}/places/{placeId}/report.pdf',
    tag: 'Reports',
    summary: 'A place’s board report (PDF)',
    description: 'The place report as an accessible, tagged PDF.',
    params: S.roundPlacePath,
    query: S.noParams,
    response: { kind: 'pdf' },
    async handle({ client, params, deps, res }) {
      await deps.services.exports.scopeForClient(client, params.roundId)
      await sendPdf(res, await deps.reports.placeReport(client, params.roundId, params.placeId))
    },
  }),
  endpoint({
    operationId: 'getSystemReport',
    path: '/rounds/{roundId}/report.pdf',
    tag: 'Reports',
    summary: 'The round’s system report (PDF)',
    description: 'All places side by side, as an accessible, tagged PDF.',
    params: S.roundPath,
    query: S.noParams,
    response: { kind: 'pdf' },
    async handle({ client, params, deps, res }) {
      await deps.services.exports.scopeForClient(client, params.roundId)
      await sendPdf(res, await deps.reports.systemReport(client, params.roundId))
    },
  }),
]

let document: ReturnType<typeof openApiDocument> | undefined

endpoints.push(
  endpoint({
    operationId: 'getOpenApi',
    path: '/openapi.json',
    tag: 'About',
    summary: 'This description of the API',
    description: 'The OpenAPI 3.1 document describing every endpoint, parameter, response and error. Readable without a token.',
    public: true,
    params: S.noParams,
    query: S.noParams,
    response: { kind: 'json', schema: S.OpenApiDocument },
    async handle() {
      // Generated once per process: the endpoints and schemas do not change while it runs.
      document ??= openApiDocument(endpoints)
      return document
    },
  }),
)
