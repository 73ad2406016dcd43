import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express'
import { HttpError } from '../errors'
import { multipartParser } from './upload'

/**
 * The one rule for request bodies. Every state-changing route says which kinds of body it takes
 * (a form, by default) and how large its largest valid form can be; anything else is refused
 * before it reaches the route: 415 for a kind of body the route does not take, 400 for one that
 * cannot be read or repeats a field, 413 for one larger than any valid form. A route always sees `req.body` as a
 * plain object, so no route can fail on a missing or odd-shaped body.
 */

export type BodyType = 'form' | 'json' | 'multipart'

export interface BodyRule {
  accepts: readonly BodyType[]
  /** The largest body a valid submission can need, in bytes as sent. */
  limitBytes: number
  /** The most fields a valid submission has. */
  maxFields: number
  /** Fields a valid form may send more than once (a group of checkboxes); any other is refused if repeated. */
  repeatable?: readonly string[]
}

const mediaTypes: Record<BodyType, string> = {
  form: 'application/x-www-form-urlencoded',
  json: 'application/json',
  multipart: 'multipart/form-data',
}

/**
 * How many bytes one typed character can take once a browser urlencodes it: a character outside
 * ASCII is two or three bytes of UTF-8 (é, Devanagari), each sent as %XX. A character outside
 * the Basic Multilingual Plane counts as two towards a field's length and is sent as 12 bytes,
 * so 6 a counted character. As JSON, no character takes more than 6 bytes (\uXXXX).
 */
export const bytesPerTypedCharacter = 9

/** Room for each field besides its text: its name, a short value, and the separators. */
const bytesPerField = 256

/** The body rule for a form whose text fields together hold at most this many characters. */
export function formBody(options: { textCharacters: number; fields: number; accepts?: readonly BodyType[] }): BodyRule {
  return {
    accepts: options.accepts ?? ['form'],
    limitBytes: options.textCharacters * bytesPerTypedCharacter + options.fields * bytesPerField,
    maxFields: options.fields,
  }
}

/**
 * Every ordinary form: the largest is the delegation decision (a rationale and a reason of up to
 * 5,000 characters each, the deciding body and the date), so twice its text leaves room to grow.
 */
export const ordinaryFormBody = formBody({ textCharacters: 20_000, fields: 40 })

const unreadable = 'What was sent could not be read. Go back to the page, reload it and try again.'
const unsupported =
  'PlaceReady could not read what was sent: this address takes a form sent from its own page. Go back to the page, reload it and try again.'
const tooLarge = 'What was sent is larger than any form on this page can be. Go back: what you typed is still on the page.'

const sentTwice = (name: string) =>
  `The form sent the field “${name.slice(0, 60)}” more than once, so it could not be read. Go back to the page, reload it and try again.`

/** Whether the request carries a body at all (a length, or chunks). */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0'
}

/** Refuses a body of a kind the route does not take, from its headers alone, before anything reads it. */
export function acceptBody(rule: BodyRule): RequestHandler {
  const types = rule.accepts.map((t) => mediaTypes[t])
  return (req: Request, _res: Response, next: NextFunction) => {
    if (hasBody(req) && !req.is(types)) return next(new HttpError(415, unsupported, 'unsupported_media_type'))
    next()
  }
}

/** body-parser's own errors, as the people-friendly ones above. */
function translate(error: unknown): HttpError {
  const type = (error as { type?: string }).type
  if (type === 'entity.too.large' || type === 'parameters.too.many') return new HttpError(413, tooLarge, 'too_large')
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') return new HttpError(415, unsupported, 'unsupported_media_type')
  return new HttpError(400, unreadable, 'bad_request')
}

const parsers = new Map<string, Record<BodyType, RequestHandler>>()

function parsersFor(rule: BodyRule): Record<BodyType, RequestHandler> {
  const key = `${rule.limitBytes}:${rule.maxFields}`
  let found = parsers.get(key)
  if (!found) {
    found = {
      form: express.urlencoded({ extended: false, limit: rule.limitBytes, parameterLimit: rule.maxFields }),
      json: express.json({ limit: rule.limitBytes, strict: true }),
      multipart: multipartParser({ maxBytes: rule.limitBytes, maxFields: rule.maxFields }),
    }
    parsers.set(key, found)
  }
  return found
}

/** Reads the body once, by the route's rule; afterwards `req.body` is always a plain object. */
export function readBody(req: Request, res: Response, rule: BodyRule): Promise<void> {
  if (req.bodyRead) return Promise.resolve()
  const type = hasBody(req) ? rule.accepts.find((t) => req.is(mediaTypes[t])) : undefined
  return new Promise((resolve, reject) => {
    const done = (error?: unknown) => {
      if (error) return reject(translate(error))
      const body: unknown = req.body
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return reject(new HttpError(400, unreadable, 'bad_request'))
      }
      const fields = (body ?? {}) as Record<string, unknown>
      // A browser sends each field of these forms once; a field sent twice is refused rather than
      // one copy silently chosen (JSON has no repeated names: its values are checked by each form).
      if (type === 'form') {
        const repeated = Object.keys(fields).find((name) => Array.isArray(fields[name]) && !rule.repeatable?.includes(name))
        if (repeated !== undefined) return reject(new HttpError(400, sentTwice(repeated), 'bad_request'))
      }
      req.body = fields
      req.bodyRead = true
      resolve()
    }
    if (!type) {
      if (hasBody(req)) return reject(new HttpError(415, unsupported, 'unsupported_media_type'))
      return done()
    }
    parsersFor(rule)[type](req, res, done)
  })
}

/** readBody as middleware. */
export function parseBody(rule: BodyRule): RequestHandler {
  return (req, res, next) => readBody(req, res, rule).then(() => next(), next)
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set once the body has been read by the route's rule. */
    bodyRead?: boolean
  }
}
