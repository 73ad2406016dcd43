import { documentation } from '../api/docs'
import { openApiDocument } from '../api/openapi'
import { endpoints } from '../api/v1'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { escapeHtml } from '../views/helpers'

/** Plain text with `code` marked, as safe HTML. */
function withCode(text: string | undefined): string {
  return escapeHtml(text ?? '').replace(/`([^`]+)`/g, '<code>$1</code>')
}

/** The API's documentation for people, generated from the same OpenAPI document the API serves. */
export function apiDocsRoutes() {
  const r = guardedRouter()
  const document = openApiDocument(endpoints)
  const docs = documentation(document)

  r.get('/developers/api', allow.public, (_req, res) => {
    res.render('pages/api-docs', { title: 'PlaceReady API', intro: withCode(document.info.description), endpoints: docs, withCode })
  })

  return r.router
}
