import type { Request } from 'express'
import { isRowId } from '../db/values'
import { NotFoundError } from '../errors'

/** A numeric id from the path (`/rounds/:roundId`); anything but a row id's digits is "not found". */
export function idParam(req: Request, name: string): number {
  const text = req.params[name]
  const value = typeof text === 'string' && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : NaN
  if (!isRowId(value)) throw new NotFoundError()
  return value
}
