import type { Request, Response } from 'express'
import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { formBody, type BodyRule } from '../middleware/body'
import { londonDateTimeFields } from '../forms/dateTime'
import { formErrorView, type FormError } from '../forms/errors'
import { parseForm } from '../forms/parse'
import { closeRoundForm, openRoundForm, parseExtendForm, parseRoundForm, reminderDaysForm, reopenResponseForm } from '../forms/roundSetup'
import { organisationKindLabel } from '../organisations/kinds'
import { defaultReminderDays, describeReminderDays } from '../rounds/schedule'
import type { RoundService } from '../services/roundService'
import { leadIcsId } from './admin/scope'
import { actorOf, blankForm, handleForm, type FormState } from './forms'
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

/** How many were reminded, for the page to say: organisations, e-mails and organisations with nobody to remind. */
const remindedQuery = (sent: { organisations: number; mails: number; withoutRecipients: number }) =>
  `reminded=${sent.organisations}-${sent.mails}-${sent.withoutRecipients}`

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
    options: { roundId?: number; values: Record<string, unknown>; errors: FormError[] },
  ) {
    const user = req.user!
    const round = options.roundId === undefined ? undefined : await rounds.get(user, options.roundId)
    const icsId = round?.round.icsId ?? leadIcsId(user, req.query.ics)
    const choices = await rounds.formChoices(user, icsId)
    const copyFrom = options.values.copyFrom ? choices.rounds.find((c) => String(c.id) === String(options.values.copyFrom)) : undefined
    // The status is 200, or 400 already set by handleForm when the form comes back with its problems.
    res.render('rounds/form', {
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

  r.post(
    '/rounds',
    { access: lead, body: roundFormBody },
    handleForm(
      (req, res, form) => renderForm(req, res, form),
      async (req, res) => {
        const values = parseRoundForm(req.body)
        const roundId = await rounds.create(actorOf(req), leadIcsId(req.user!, req.query.ics), {
          ...values,
          copyFromRoundId: values.copyFrom,
        })
        res.redirect(303, `/rounds/${roundId}/manage?created=1`)
      },
    ),
  )

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

  r.post(
    '/rounds/:roundId/edit',
    { access: lead, body: roundFormBody },
    handleForm(
      (req, res, form) => renderForm(req, res, { roundId: idParam(req, 'roundId'), ...form }),
      async (req, res) => {
        const roundId = idParam(req, 'roundId')
        await rounds.update(actorOf(req), roundId, parseRoundForm(req.body))
        res.redirect(303, `/rounds/${roundId}/manage`)
      },
    ),
  )

  /** The round's page; its forms (open, remind, reminder days, extend, close) come back here with their problems. */
  async function renderManage(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const view = await rounds.summary(req.user!, idParam(req, 'roundId'))
    res.render('rounds/manage', {
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

  /** A change made from the round's page, which the page shows again with any problem. */
  const manageForm = (change: (req: Request) => Promise<string | void>) =>
    handleForm(renderManage, async (req, res) => {
      const query = await change(req)
      res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage${query ? `?${query}` : ''}`)
    })

  r.post(
    '/rounds/:roundId/open',
    lead,
    manageForm(async (req) => {
      const { 'open-reason': reason } = parseForm(openRoundForm, req.body)
      await rounds.open(actorOf(req), idParam(req, 'roundId'), { reason })
    }),
  )

  r.post(
    '/rounds/:roundId/close',
    lead,
    manageForm(async (req) => {
      const { 'close-reason': reason } = parseForm(closeRoundForm, req.body)
      await rounds.close(actorOf(req), idParam(req, 'roundId'), { reason })
    }),
  )

  r.post(
    '/rounds/:roundId/extend',
    lead,
    manageForm(async (req) => {
      await rounds.extend(actorOf(req), idParam(req, 'roundId'), parseExtendForm(req.body))
    }),
  )

  r.post(
    '/rounds/:roundId/reminders',
    lead,
    manageForm(async (req) => {
      await rounds.setReminderDays(actorOf(req), idParam(req, 'roundId'), parseForm(reminderDaysForm, req.body).reminderDays)
    }),
  )

  r.post(
    '/rounds/:roundId/remind',
    lead,
    manageForm(async (req) => remindedQuery(await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), {}))),
  )

  /** A place of the round: its organisations, with their reminders and reopening. */
  async function renderPlace(req: Request, res: Response, { errors, values }: FormState = blankForm) {
    const view = await rounds.place(req.user!, idParam(req, 'roundId'), idParam(req, 'placeId'))
    res.render('rounds/place', {
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

  r.post(
    '/rounds/:roundId/manage/places/:placeId/remind',
    lead,
    handleForm(renderPlace, async (req, res) => {
      const sent = await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), { placeId: idParam(req, 'placeId') })
      res.redirect(303, `/rounds/${idParam(req, 'roundId')}/manage/places/${idParam(req, 'placeId')}?${remindedQuery(sent)}`)
    }),
  )

  /**
   * A change to one organisation of the round, made from (and shown again with any problem on) the
   * page of its place, which the address does not name: it is looked up first.
   */
  const organisationForm = (change: (req: Request, organisationId: number) => Promise<string | void>) =>
    handleForm(
      // Which organisation's form it was, so that its reason box gets the problem and what was typed.
      (req, res, form) => renderPlace(req, res, { ...form, values: { ...form.values, organisationId: idParam(req, 'organisationId') } }),
      async (req, res) => {
        const roundId = idParam(req, 'roundId')
        const organisationId = idParam(req, 'organisationId')
        req.params.placeId = String(await rounds.placeOfOrganisation(req.user!, roundId, organisationId))
        const query = await change(req, organisationId)
        res.redirect(303, `/rounds/${roundId}/manage/places/${req.params.placeId}${query ? `?${query}` : ''}`)
      },
    )

  r.post(
    '/rounds/:roundId/organisations/:organisationId/remind',
    lead,
    organisationForm(async (req, organisationId) =>
      remindedQuery(await rounds.remindNow(actorOf(req), idParam(req, 'roundId'), { organisationId })),
    ),
  )

  r.post(
    '/rounds/:roundId/organisations/:organisationId/reopen',
    lead,
    organisationForm(async (req, organisationId) => {
      const { reason } = parseForm(reopenResponseForm, req.body, { reason: `reason-${organisationId}` })
      await rounds.reopenResponse(actorOf(req), idParam(req, 'roundId'), organisationId, { reason })
    }),
  )

  return r.router
}
