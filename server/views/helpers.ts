import { formatCalendarDate, formatDate, formatDateTime } from '../time/london'

export { formatCalendarDate, formatDate, formatDateTime }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** Plain text with its web addresses made into links, safe to output unescaped. */
export function linkify(text: string): string {
  return escapeHtml(text).replace(/https?:\/\/[^\s<]+/g, (url) => `<a href="${url}">${url}</a>`)
}

export const viewHelpers = { formatDateTime, formatDate, formatCalendarDate, linkify }
