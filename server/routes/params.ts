import type { Request } from 'express'
import { NotFoundError } from '../errors'
import { largestId } from '../forms/fields'

/** A numeric id from the path (`/rounds/:roundId`); anything but a positive whole number is "not found". */
export function idParam(req: Request, name: string): number {
  const value = Number(req.params[name])
  if (!Number.isInteger(value) || value <= 0 || value > largestId) throw new NotFoundError()
  return value
}
