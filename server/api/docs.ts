/**
 * The OpenAPI document turned into what a person reads on the documentation page: per endpoint,
 * its parameters, its responses, and every field of its JSON response as a flat list
 * (`data[].recommendation.level`), all taken from the document itself.
 */
import type { OpenApiDocument } from './openapi'

type Schema = Record<string, unknown>

export interface FieldDoc {
  path: string
  type: string
  description: string | undefined
}

export interface EndpointDoc {
  id: string
  method: string
  path: string
  summary: string
  description: string
  public: boolean
  parameters: Array<{ name: string; in: string; required: boolean; description: string | undefined; type: string }>
  responses: Array<{ status: string; description: string }>
  fields: FieldDoc[]
}

function typeOf(schema: Schema, resolve: (s: Schema) => Schema): string {
  const s = resolve(schema)
  if (Array.isArray(s.enum)) return `one of ${(s.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
  if (s.const !== undefined) return JSON.stringify(s.const)
  const options = (s.anyOf ?? s.oneOf) as Schema[] | undefined
  if (options) return options.map((o) => typeOf(o, resolve)).join(' or ')
  const type = Array.isArray(s.type) ? (s.type as string[]).join(' or ') : String(s.type ?? 'any')
  if (s.format === 'date-time') return type.replace('string', 'date and time (ISO 8601)')
  if (s.format === 'date') return type.replace('string', 'date (ISO 8601)')
  return type
}

export function documentation(document: OpenApiDocument): EndpointDoc[] {
  const components = document.components.schemas
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref
    if (typeof ref === 'string') return resolve(components[ref.replace('#/components/schemas/', '')] ?? {})
    return schema
  }

  const fieldsOf = (schema: Schema, prefix: string, depth: number, out: FieldDoc[]) => {
    const s = resolve(schema)
    if (depth > 6) return
    if (s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object'))) {
      for (const [name, child] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        const path = prefix ? `${prefix}.${name}` : name
        const resolved = resolve(child)
        out.push({ path, type: typeOf(child, resolve), description: (child.description ?? resolved.description) as string | undefined })
        fieldsOf(child, path, depth + 1, out)
      }
    } else if (s.type === 'array' && s.items) {
      fieldsOf(s.items as Schema, `${prefix}[]`, depth + 1, out)
      // An array's element type, when it is simple, belongs to the array's own line.
    } else if (Array.isArray(s.anyOf)) {
      const objects = (s.anyOf as Schema[]).filter((o) => resolve(o).type === 'object')
      for (const o of objects) fieldsOf(o, prefix, depth + 1, out)
    }
  }

  return Object.entries(document.paths).map(([path, methods]) => {
    const operation = (methods as Record<string, Schema>).get!
    const responses = operation.responses as Record<string, Schema>
    const ok = responses['200']?.content as Record<string, { schema: Schema }> | undefined
    const fields: FieldDoc[] = []
    const json = ok?.['application/json']
    if (json && operation.operationId !== 'getOpenApi') fieldsOf(json.schema, '', 0, fields)
    return {
      id: String(operation.operationId),
      method: 'GET',
      path: `${document.servers[0]!.url}${path}`,
      summary: String(operation.summary),
      description: String(operation.description),
      public: (operation.security as unknown[]).length === 0,
      parameters: (operation.parameters as Schema[]).map((p) => ({
        name: String(p.name),
        in: String(p.in),
        required: Boolean(p.required),
        description: p.description as string | undefined,
        type: typeOf(p.schema as Schema, resolve),
      })),
      responses: Object.entries(responses).map(([status, r]) => ({ status, description: String(r.description) })),
      fields,
    }
  })
}
