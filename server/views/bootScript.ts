import { createHash } from 'node:crypto'

/**
 * The page's one inline script: it marks the page as having JavaScript before anything is drawn
 * (NHS.UK frontend's pattern), so styles for enhanced components apply without a flash. The
 * content security policy allows exactly this script by its hash, and no other inline script,
 * so no page needs a per-request nonce: a page is the same bytes for everyone it is the same for.
 */
export const bootScript =
  "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' nhsuk-frontend-supported' : '');"

/** The CSP source that allows bootScript and nothing else. */
export const bootScriptSource = `'sha256-${createHash('sha256').update(bootScript, 'utf8').digest('base64')}'`
