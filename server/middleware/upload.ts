import busboy from 'busboy'
import type { RequestHandler } from 'express'

/** A file sent with a form. */
export interface UploadedFile {
  field: string
  filename: string
  bytes: Buffer
  /** More than the route allows was sent: bytes holds only the start, and the route refuses it. */
  tooLarge: boolean
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The file a multipart form sent, if any. */
    upload?: UploadedFile
  }
}

/**
 * Reads a multipart/form-data body (a form with a file input) with busboy: its text fields into
 * req.body and its one file, of at most `maxBytes`, into req.upload. Used through the body rule
 * of a route that takes uploads (middleware/body.ts), so only once the visitor may post there.
 */
export function multipartParser(options: { maxBytes: number; maxFields: number }): RequestHandler {
  return (req, _res, next) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: options.maxBytes, files: 1, fields: options.maxFields, fieldSize: options.maxBytes },
      })
    } catch (error) {
      return next(error)
    }
    const body: Record<string, string> = {}
    let file: UploadedFile | undefined
    let failed = false
    parser.on('field', (name, value) => {
      if (!(name in body)) body[name] = value
    })
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = []
      let tooLarge = false
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('limit', () => {
        tooLarge = true
      })
      stream.on('end', () => {
        // A file input left empty still sends a part, with no name and no bytes.
        if (info.filename || chunks.length > 0) file = { field, filename: info.filename ?? '', bytes: Buffer.concat(chunks), tooLarge }
      })
    })
    parser.on('error', (error) => {
      failed = true
      req.unpipe(parser)
      next(error)
    })
    parser.on('close', () => {
      if (failed) return
      req.body = body
      if (file) req.upload = file
      next()
    })
    req.pipe(parser)
  }
}
