import type { Application, Response } from 'express'

/** A view rendered to text: by the app (its locals only) or for this response (with the request's locals too). */
export function renderView(by: Application | Response, view: string, locals: object): Promise<string> {
  return new Promise<string>((resolve, reject) =>
    by.render(view, locals, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html!))),
  )
}
