import type { Request } from 'express'
import { NotFoundError } from '../errors'
import { isId } from '../forms/fields'

/** A numeric id from the path (`/rounds/:roundId`); anything but an id there could be (forms/fields.ts isId) is "not found". */
export function idParam(req: Request, name: string): number {
  const value = String(req.params[name])
  if (!isId(value)) throw new NotFoundError()
  return Number(value)
}
