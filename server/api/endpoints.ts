/**
 * Every endpoint of the JSON API, described once: its path, parameters and response schema. The
 * router (router.ts) is built from this list and the OpenAPI document (openapi.ts) is generated
 * from it, so what is served and what is documented are the same thing.
 */
import type { Writable } from 'node:stream'
import type { Request, Response } from 'express'
import type { z } from 'zod'
import type { ApiClient } from '../auth/apiClient'
import type { Services } from '../services'

/** Writes a PDF report; supplied by the reports feature (see ApiReports). */
export interface PdfReport {
  fileName: string
  write(out: Writable): Promise<void>
}

/**
 * PDF reports for API clients (server/api/reports.ts adapts the report service). Each method
 * throws NotFoundError for a round or place outside the client's ICS, else returns the report
 * ready to stream.
 */
export interface ApiReports {
  placeReport(client: ApiClient, roundId: number, placeId: number): Promise<PdfReport>
  systemReport(client: ApiClient, roundId: number): Promise<PdfReport>
}

export interface ApiDeps {
  services: Services
  /** Per-token request limit per minute, and failed token attempts allowed per address per 15 minutes. */
  limits: { requestsPerMinute: number; failuresPerAddress: number }
  reports: ApiReports
}

export interface HandlerContext<P, Q> {
  client: ApiClient
  params: P
  query: Q
  req: Request
  res: Response
  deps: ApiDeps
}

type JsonResponse = { kind: 'json'; schema: z.ZodType; etag?: boolean }
type PdfResponse = { kind: 'pdf' }

export interface Endpoint<P extends z.ZodObject = z.ZodObject, Q extends z.ZodObject = z.ZodObject> {
  operationId: string
  /** OpenAPI form, relative to /api/v1: /rounds/{roundId}/results */
  path: string
  summary: string
  description: string
  tag: string
  params: P
  query: Q
  response: JsonResponse | PdfResponse
  /** Readable without a token (the description of the API itself). */
  public?: boolean
  /** A JSON body (parsed through the response schema before it is sent), or nothing when the handler wrote the response itself. */
  handle(ctx: HandlerContext<z.output<P>, z.output<Q>>): Promise<unknown>
}

export function endpoint<P extends z.ZodObject, Q extends z.ZodObject>(e: Endpoint<P, Q>): Endpoint {
  return e as unknown as Endpoint
}
