/**
 * The OpenAPI 3.1 document of the API, generated from the endpoint list (v1.ts) and the zod
 * schemas that shape every response (schemas.ts): nothing here is written by hand twice.
 */
import { z } from 'zod'
import type { Endpoint } from './endpoints'
import { apiRegistry } from './schemas'
import { apiBase } from './serialise'

type JsonSchema = Record<string, unknown>

/** zod marks whole numbers with JavaScript's safe-integer bounds: true, but noise in documentation. */
function tidy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(tidy)
  if (!schema || typeof schema !== 'object') return schema
  const out: JsonSchema = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id') continue
    if ((key === 'minimum' && value === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && value === Number.MAX_SAFE_INTEGER)) continue
    out[key] = tidy(value)
  }
  return out
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` })

function componentId(schema: z.ZodType): string {
  const id = apiRegistry.get(schema)?.id
  if (!id) throw new Error('Every API response schema must be registered in apiRegistry with an id')
  return id
}

const errorStatuses: Record<number, string> = {
  400: 'A parameter is not valid',
  401: 'No token, or a token that is not valid (unknown or revoked)',
  404: 'Not found, or outside the token’s ICS (the same answer for both)',
  429: 'Too many requests with this token, or too many failed tokens from this address',
}

function errorResponse(status: number) {
  const headers =
    status === 429
      ? { 'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } } }
      : status === 401
        ? { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } }
        : undefined
  return { description: errorStatuses[status], ...(headers ? { headers } : {}), content: { 'application/json': { schema: ref('Error') } } }
}

function parameters(shape: z.ZodObject, where: 'path' | 'query') {
  return Object.entries(shape.shape).map(([name, schema]) => {
    const field = schema as z.ZodType
    const optional = field.safeParse(undefined).success
    return {
      name,
      in: where,
      required: where === 'path' || !optional,
      description: field.description ?? apiRegistry.get(field)?.description,
      schema: tidy(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' })),
    }
  })
}

export function openApiDocument(endpoints: Endpoint[]) {
  const { schemas } = z.toJSONSchema(apiRegistry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' })
  const paths: Record<string, Record<string, unknown>> = {}
  for (const e of endpoints) {
    const responses: Record<string, unknown> = {}
    if (e.response.kind === 'json') {
      responses['200'] = {
        description: 'OK',
        headers: {
          'Cache-Control': { description: 'Always no-store', schema: { type: 'string' } },
          ...(e.response.etag ? { ETag: { description: 'Send it back as If-None-Match', schema: { type: 'string' } } } : {}),
        },
        content: { 'application/json': { schema: ref(componentId(e.response.schema)) } },
      }
      if (e.response.etag) responses['304'] = { description: 'Not modified since the ETag sent as If-None-Match' }
    } else {
      responses['200'] = { description: 'The report', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } }
    }
    const statuses = [
      ...(Object.keys(e.params.shape).length || Object.keys(e.query.shape).length ? [400] : []),
      ...(e.public ? [] : [401]),
      ...(Object.keys(e.params.shape).length ? [404] : []),
      ...(e.public ? [] : [429]),
    ]
    for (const status of statuses) responses[String(status)] = errorResponse(status)
    paths[e.path] = {
      get: {
        operationId: e.operationId,
        summary: e.summary,
        description: e.description,
        tags: [e.tag],
        security: e.public ? [] : [{ bearerToken: [] }],
        parameters: [...parameters(e.params, 'path'), ...parameters(e.query, 'query')],
        responses,
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'PlaceReady API',
      version: '1',
      description:
        'Read-only access to an ICS’s assessment rounds, results, answers and frameworks. Every request but this description needs `Authorization: Bearer <token>`, with a token an ICS lead made on PlaceReady’s API tokens page; a token sees its own ICS only, and anything outside it answers 404, as if it did not exist. Responses are JSON objects (lists as `{ "data": [...], "links": {...} }`), dates ISO 8601, errors `{ "error": { "code", "message" } }`, and nothing may be cached (`Cache-Control: no-store`).',
    },
    servers: [{ url: apiBase }],
    tags: [...new Set(endpoints.map((e) => e.tag))].map((name) => ({ name })),
    security: [{ bearerToken: [] }],
    paths,
    components: {
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token made by an ICS lead' } },
      schemas: tidy(schemas) as Record<string, JsonSchema>,
    },
  }
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>
