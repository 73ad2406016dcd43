import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { ValidationError } from '../errors'
import { formBody, type BodyRule } from '../middleware/body'
import { londonDateTimeFields } from '../forms/dateTime'
import { formErrorView, fromZod, type FormError } from '../forms/errors'
import { closeRoundForm, openRoundForm, parseExtendForm, parseRoundForm, reminderDaysForm, reopenResponseForm } from '../forms/roundSetup'
import { organisationKindLabel } from '../organisations/kinds'
import { defaultReminderDays, describeReminderDays } from '../rounds/schedule'
import type { RoundService } from '../services/roundService'
import { leadIcsId } from './admin/scope'
import { actorOf } from './forms'
import { idParam } from './params'

const stateTags = {
  upcoming: { text: 'Upcoming', classes: 'nhsuk-tag--grey' },
  open: { text: 'Open', classes: 'nhsuk-tag--blue' },
  closed: { text: 'Closed', classes: 'nhsuk-tag--white' },
} as const

const responseTags = {
  not_started: { text: 'Not started', classes: 'nhsuk-tag--grey' },
  in_progress: { text: 'In progress', classes: 'nhsuk-tag--blue' },
  submitted: { text: 'Submitted', classes: 'nhsuk-tag--green' },
} as const

/** The round form: a few fields, and a box for each place taking part (as many as an ICS may have). */
const roundFormBody: BodyRule = { ...formBody({ textCharacters: 2_000, fields: 420 }), repeatable: ['placeIds'] }

/** Runs a change; a rule it breaks comes back as form errors for the page to show again. */
async function attempt(change: () => Promise<unknown>): Promise<FormError[]> {
  try {
    await change()
    return []
  } catch (error) {
    if (error instanceof ValidationError) return error.errors
    throw error
  }
}

/**
 * The ICS lead's rounds: create one (or copy an earlier one), change it before it opens, open
 * it now, close it early, extend it, set its reminders and remind now; the round page by place,
 * and each place's organisations with what they have done and who can answer for them.
 */
export function roundRoutes(rounds: RoundService) {
  const r = guardedRouter()
  const lead = allow.roles('ics_lead')

  r.get('/rounds', lead, async (req, res) => {
    res.render('rounds/list', { title: 'Assessment rounds', rounds: await rounds.list(req.user!), stateTags })
  })

  async function renderForm(
    req: Request,
    res: Response,
    options: { roundId?: number; values: Record<string, unknown>; errors: FormError[]; status?: number },
  ) {
    const user = req.user!
    const round = options.roundId === undefined ? undefined : await rounds.get(user, options.roundId)
    const icsId = round?.round.icsId ?? leadIcsId(user, req.query.ics)
    const choices = await rounds.formChoices(user, icsId)
    const copyFrom = options.values.copyFrom ? choices.rounds.find((c) => String(c.id) === String(options.values.copyFrom)) : undefined
    res.status(options.status ?? 200).render('rounds/form', {
      title: round ? `Change ${round.round.title}` : copyFrom ? `Copy ${copyFrom.title}` : 'Create a round',
      round: round?.round,
      copyFrom,
      action: round ? `/rounds/${round.round.id}/edit` : `/rounds?ics=${icsId}`,
      versionItems: [
        { value: '', text: 'Choose a framework version' },
        ...choices.versions.map((v) => ({ value: v.id, text: `${v.label} (${v.criteria} criteria)` })),
      ],
      placeItems: choices.places.map((p) => ({ value: p.id, text: p.name })),
      values: options.values,
      backLink: round
        ? { href: `/rounds/${round.round.id}/manage`, text: round.round.title }
        : { href: '/rounds', text: 'Assessment rounds' },
      ...formErrorView(options.errors),
    })
  }

  r.get('/rounds/new', lead, async (req, res) => {
    const user = req.user!
    const copy = typeof req.query.copy === 'string' && /^\d+$/.test(req.query.copy) ? Number(req.query.copy) : undefined
    if (copy !== undefined) {
      const { round, placeIds } = await rounds.copySource(user, copy)
      return renderForm(req, res, {
        values: {
          title: '',
          frameworkVersionId: round.frameworkVersionId,
          placeIds: placeIds.map(String),
          reminderDays: round.reminderDays.join(', '),
          copyFrom: round.id,
          'opens-time': '09:00',
          'closes-time': '17:00',
        },
        errors: [],
      })
    }
    const choices = await rounds.formChoices(user, leadIcsId(user, req.query.ics))
    return renderForm(req, res, {
      values: {
        placeIds: choices.places.map((p) => String(p.id)),
        reminderDays: defaultReminderDays.join(', '),
        'opens-time': '09:00',
        'closes-time': '17:00',
      },
      errors: [],
    })
  })

  r.post('/rounds', { access: lead, body: roundFormBody }, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = parseRoundForm(body)
    if (!parsed.ok) return renderForm(req, res, { values: body, errors: parsed.errors, status: 400 })
    const icsId = leadIcsId(req.user!, req.query.ics)
    let roundId = 0
    const errors = await attempt(async () => {
      roundId = await rounds.create(actorOf(req), icsId, { ...parsed.values, copyFromRoundId: parsed.values.copyFrom })
    })
    if (errors.length > 0) return renderForm(req, res, { values: body, errors, status: 400 })
    res.redirect(303, `/rounds/${roundId}/manage?created=1`)
  })

  r.get('/rounds/:roundId/edit', lead, async (req, res) => {
    const { state } = await rounds.get(req.user!, idParam(req, 'roundId'))
    // Once a round has opened only its deadline can move, from the round's page.
    if (state !== 'upcoming') return res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
    const { round, placeIds } = await rounds.copySource(req.user!, idParam(req, 'roundId'))
    return renderForm(req, res, {
      roundId: round.id,
      values: {
        title: round.title,
        frameworkVersionId: round.frameworkVersionId,
        placeIds: placeIds.map(String),
        reminderDays: round.reminderDays.join(', '),
        ...londonDateTimeFields('opens', round.opensAt),
        ...londonDateTimeFields('closes', round.closesAt),
      },
      errors: [],
    })
  })

  r.post('/rounds/:roundId/edit', { access: lead, body: roundFormBody }, async (req, res) => {
    const roundId = idParam(req, 'roundId')
    const body = req.body as Record<string, unknown>
    const parsed = parseRoundForm(body)
    if (!parsed.ok) return renderForm(req, res, { roundId, values: body, errors: parsed.errors, status: 400 })
    const errors = await attempt(() => rounds.update(actorOf(req), roundId, parsed.values))
    if (errors.length > 0) return renderForm(req, res, { roundId, values: body, errors, status: 400 })
    res.redirect(303, `/rounds/${roundId}/manage`)
  })

  async function renderManage(req: Request, res: Response, errors: FormError[] = [], values: Record<string, unknown> = {}, status = 200) {
    const view = await rounds.summary(req.user!, idParam(req, 'roundId'))
    res.status(status).render('rounds/manage', {
      title: view.round.title,
      ...view,
      values: { reminderDays: view.round.reminderDays.join(', '), ...values },
      reminderText: describeReminderDays(view.round.reminderDays),
      stateTags,
      created: req.query.created === '1',
      reminded: typeof req.query.reminded === 'string' ? req.query.reminded : undefined,
      backLink: { href: '/rounds', text: 'Assessment rounds' },
      ...formErrorView(errors),
    })
  }

  r.get('/rounds/:roundId/manage', lead, (req, res) => renderManage(req, res))

  r.post('/rounds/:roundId/open', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = openRoundForm.safeParse(body)
    if (!parsed.success) return renderManage(req, res, fromZod(parsed.error), body, 400)
    const errors = await attempt(() => rounds.open(actorOf(req), idParam(req, 'roundId'), { reason: parsed.data['open-reason'] }))
    if (errors.length > 0) return renderManage(req, res, errors, body, 400)
    res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
  })

  r.post('/rounds/:roundId/close', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = closeRoundForm.safeParse(body)
    if (!parsed.success) return renderManage(req, res, fromZod(parsed.error), body, 400)
    const errors = await attempt(() => rounds.close(actorOf(req), idParam(req, 'roundId'), { reason: parsed.data['close-reason'] }))
    if (errors.length > 0) return renderManage(req, res, errors, body, 400)
    res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
  })

  r.post('/rounds/:roundId/extend', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = parseExtendForm(body)
    if (!parsed.ok) return renderManage(req, res, parsed.errors, body, 400)
    const errors = await attempt(() => rounds.extend(actorOf(req), idParam(req, 'roundId'), { until: parsed.until, reason: parsed.reason }))
    if (errors.length > 0) return renderManage(req, res, errors, body, 400)
    res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
  })

  r.post('/rounds/:roundId/reminders', lead, async (req, res) => {
    const body = req.body as Record<string, unknown>
    const parsed = reminderDaysForm.safeParse(body)
    if (!parsed.success) return renderManage(req, res, fromZod(parsed.error), body, 400)
    const errors = await attempt(() => rounds.setReminderDays(actorOf(req), idParam(req, 'roundId'), parsed.data.reminderDays))
    if (errors.length > 0) return renderManage(req, res, errors, body, 400)
    res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage`)
  })

  r.post('/rounds/:roundId/remind', lead, async (req, res) => {
    let sent = { organisations: 0, mails: 0, withoutRecipients: 0 }
    const errors = await attempt(async () => {
      sent = await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), {})
    })
    if (errors.length > 0) return renderManage(req, res, errors, {}, 400)
    res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage?reminded=${sent.organisations}-${sent.mails}-${sent.withoutRecipients}`)
  })

  async function renderPlace(req: Request, res: Response, errors: FormError[] = [], values: Record<string, unknown> = {}, status = 200) {
    const view = await rounds.place(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    res.status(status).render('rounds/place', {
      title: `${view.place.name}: ${view.round.title}`,
      ...view,
      values,
      responseTags,
      stateTags,
      kindLabel: organisationKindLabel,
      reminded: typeof req.query.reminded === 'string' ? req.query.reminded : undefined,
      backLink: { href: `/rounds/${view.round.id}/manage`, text: view.round.title },
      ...formErrorView(errors),
    })
  }

  r.get('/rounds/:roundId/manage/places/:placeId', lead, (req, res) => renderPlace(req, res))

  r.post('/rounds/:roundId/manage/places/:placeId/remind', lead, async (req, res) => {
    let sent = { organisations: 0, mails: 0, withoutRecipients: 0 }
    const errors = await attempt(async () => {
      sent = await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), { placeId: idParam(req, 'placeId') })
    })
    if (errors.length > 0) return renderPlace(req, res, errors, {}, 400)
    res.redirect(
      303,
      `/rounds/${idParam(req, 'roundId')}/manage/places/${idParam(req, 'placeId')}?reminded=${sent.organisations}-${sent.mails}-${sent.withoutRecipients}`,
    )
  })

  /** Back to the page of the organisation's place in the round, where these buttons are. */
  async function placePathOf(req: Request): Promise<string> {
    const placeId = await rounds.placeOfOrganisation(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'))
    return `/rounds/${idParam(req, 'roundId')}/manage/places/${placeId}`
  }

  r.post('/rounds/:roundId/organisations/:organisationId/remind', lead, async (req, res) => {
    const path = await placePathOf(req)
    let sent = { organisations: 0, mails: 0, withoutRecipients: 0 }
    const errors = await attempt(async () => {
      sent = await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), { organisationId: idParam(req, 'organisationId') })
    })
    if (errors.length > 0) {
      req.params.placeId = path.split('/').pop()!
      return renderPlace(req, res, errors, {}, 400)
    }
    res.redirect(303, `${path}?reminded=${sent.organisations}-${sent.mails}-${sent.withoutRecipients}`)
  })

  r.post('/rounds/:roundId/organisations/:organisationId/reopen', lead, async (req, res) => {
    const path = await placePathOf(req)
    const body = req.body as Record<string, unknown>
    const organisationId = idParam(req, 'organisationId')
    const parsed = reopenResponseForm.safeParse(body)
    req.params.placeId = path.split('/').pop()!
    if (!parsed.success)
      return renderPlace(
        req,
        res,
        [{ text: 'Enter the reason for reopening', href: `#reason-${organisationId}` }],
        { ...body, organisationId },
        400,
      )
    await rounds.reopenResponse(actorOf(req), idParam(req, 'roundId'), organisationId, { reason: parsed.data.reason })
    res.redirect(303, path)
  })

  return r.router
}
