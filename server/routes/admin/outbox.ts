import { allow, icsIdsWithRole } from '../../auth/access'
import { guardedRouter } from '../../auth/guardedRouter'
import { NotFoundError } from '../../errors'
import { maxDeliveryAttempts, type Mailer } from '../../services/mailer'
import { idParam } from '../params'
import { BoundedCache } from '../../boundedCache'
import { keptRows } from '../../views/fragments'
import { pageNumber, pageSize, pagination } from './pagination'

/** The ICS lead's outbox: every e-mail PlaceReady sent or queued for their ICS. */
export function outboxRoutes({ mailer }: { mailer: Mailer }) {
  const r = guardedRouter()
  // Each e-mail's row as rendered, kept by what it shows (its delivery state included).
  const rows = new BoundedCache<string, string>(2000)

  r.get('/admin/outbox', allow.roles('ics_lead'), async (req, res) => {
    const icsIds = icsIdsWithRole(req.user!, 'ics_lead')
    const page = pageNumber(req.query.page)
    const failedOnly = req.query.failed === '1'
    const { messages, total, failedCount } = await mailer.listForIcs(icsIds, page, pageSize, { failedOnly })
    res.render('admin/outbox', {
      title: 'Outbox',
      messages,
      // An e-mail's address, subject and time never change; its delivery does.
      rows: await keptRows(req.app, rows, messages, {
        view: 'admin/_outbox-row',
        as: 'm',
        key: (m) => [m.id, m.state, m.attempts, m.sentAt, m.failedAt, m.nextAttemptAt, m.lastError],
      }),
      failedCount,
      failedOnly,
      maxAttempts: maxDeliveryAttempts,
      ...pagination(page, total, failedOnly ? '/admin/outbox?failed=1&' : '/admin/outbox?'),
    })
  })

  r.get('/admin/outbox/:id', allow.roles('ics_lead'), async (req, res) => {
    const message = await mailer.findForIcs(idParam(req, 'id'), icsIdsWithRole(req.user!, 'ics_lead'))
    if (!message) throw new NotFoundError()
    res.render('admin/outbox-message', { title: message.subject, message, backLink: { href: '/admin/outbox', text: 'Outbox' } })
  })

  return r.router
}
