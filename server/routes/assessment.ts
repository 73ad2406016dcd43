import type { Request, Response } from 'express'
import { fieldIds, maxEvidenceLength, maxSupportLength, readTypedAnswers, type TypedAnswer } from '../assessment/answers'
import { levelChoices, targetChoices, type CriterionWithDescriptors } from '../assessment/choices'
import { allow, isIcsLead } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { arrayTable, csvContentType, toCsv } from '../exports/csv'
import { frameworkSchema } from '../framework/validate'
import { formBody } from '../middleware/body'
import { formErrorView, type FormError } from '../forms/errors'
import { submissionForm } from '../forms/assessment'
import { parseForm } from '../forms/parse'
import { levelLabel, levelWriters } from '../framework/levels'
import { NotFoundError, ValidationError } from '../errors'
import { actorOf, blankForm, handleForm, type FormState } from './forms'
import { idParam } from './params'
import { keptFragment, keptRows, renderPartial } from '../views/fragments'
import { BoundedCache } from '../boundedCache'
import { statusTags } from './statusTags'
import type { AssessmentContext, AssessmentService, ConflictingAnswer, SaveResult } from '../services/assessmentService'
import type { CriterionRow } from '../data/frameworks'
import type { FrameworkDocument } from '../framework/types'
import { formatDateTime } from '../time/london'

/** The most criteria a domain can have: a domain's page is the largest form there is. */
const maxCriteriaPerDomain = frameworkSchema.properties.domains.items.properties.criteria.maxItems

/**
 * A domain's answers: each criterion's evidence and support at their longest, its level, target,
 * version and base, and the buttons. Autosave may send the same as JSON.
 */
const answerFormBody = formBody({
  textCharacters: maxCriteriaPerDomain * (maxEvidenceLength + maxSupportLength),
  fields: maxCriteriaPerDomain * 6 + 10,
  accepts: ['form', 'json'],
})

function basePath(ctx: AssessmentContext): string {
  return `/rounds/${ctx.round.id}/organisations/${ctx.organisation.id}`
}

function basePathOf(req: Request): string {
  return `/rounds/${idParam(req, 'roundId')}/organisations/${idParam(req, 'organisationId')}`
}

/** A criterion's level question, as the radios partial takes it. */
function levelField(framework: FrameworkDocument, criterion: CriterionWithDescriptors, value: string, error?: string) {
  return {
    id: fieldIds.level(criterion.code),
    legend: `How mature is ${criterion.code} in your place?`,
    legendSize: 's',
    items: levelChoices(framework, criterion),
    value,
    error,
  }
}

/** A criterion's target level, as the select partial takes it. */
function targetField(framework: FrameworkDocument, criterion: CriterionWithDescriptors, value: string, error?: string) {
  return {
    id: fieldIds.target(criterion.code),
    label: `Target level for ${criterion.code} in the next round`,
    items: targetChoices(framework),
    value,
    error,
  }
}

/**
 * A criterion's level radios and target select show only the framework's choices, which of them
 * is chosen and any error. Without an error and with one of the choices (or none) chosen, each is
 * rendered once per framework version, criterion and choice, by the same partials, instead of
 * option by option on every domain page; anything else (an error, a value sent that is not a
 * choice) is rendered by the page as before.
 */
const choiceHtml = new WeakMap<FrameworkDocument, Map<string, string>>()
/** No kept fields: the page renders each as usual (a self-assessment that can no longer be changed). */
const noChoiceFields = { level: new Map<string, string>(), target: new Map<string, string>() }

async function choiceFields(
  res: Response,
  framework: FrameworkDocument,
  criteria: CriterionRow[],
  typed: Map<string, TypedAnswer>,
  errors: Record<string, string>,
): Promise<{ level: Map<string, string>; target: Map<string, string> }> {
  let cache = choiceHtml.get(framework)
  if (!cache) choiceHtml.set(framework, (cache = new Map()))
  const fields = { level: new Map<string, string>(), target: new Map<string, string>() }
  for (const criterion of criteria) {
    const t = typed.get(criterion.code)!
    const wanted = [
      { kind: 'level', view: 'partials/fields/radios', value: t.level, field: () => levelField(framework, criterion, t.level) },
      { kind: 'target', view: 'partials/fields/select', value: t.target, field: () => targetField(framework, criterion, t.target) },
    ] as const
    for (const { kind, view, value, field } of wanted) {
      const f = field()
      if (errors[f.id] || (value !== '' && !f.items.some((item) => item.value === value))) continue
      const key = `${kind}\0${criterion.code}\0${value}`
      fields[kind].set(criterion.code, await keptFragment(res.app, cache, key, () => renderPartial(res.app, view, { field: f })))
    }
  }
  return fields
}

/**
 * Each criterion's part of a domain's page (its text, level radios, evidence, support and target)
 * as it shows a saved answer, kept whole (keptRows): on a domain's page, which partners return to
 * as they work and colleagues read, these parts are most of the page, and rendering them field by
 * field cost more than everything else the page does. A part is kept per framework version (a
 * round's is locked) under the criterion, whether it can be changed, and the answer's version and
 * fingerprint, which cover everything it shows (the level, "not sure", evidence, support and
 * target), so a changed answer is never shown from a kept part. Nothing of the request is in it.
 */
const criterionParts = new WeakMap<FrameworkDocument, BoundedCache<string, string>>()

function criterionPartsOf(framework: FrameworkDocument): BoundedCache<string, string> {
  let parts = criterionParts.get(framework)
  if (!parts) criterionParts.set(framework, (parts = new BoundedCache(1000)))
  return parts
}

function errorsOf(errors: FormError[] | undefined): Record<string, string> {
  return formErrorView(errors ?? []).fieldErrors
}

/** Partner self-assessment pages: the overview, task list, domains, check, submit, the CSV copy and an answer's history. */
export function assessmentRoutes(assessments: AssessmentService) {
  const r = guardedRouter()

  r.get('/assessments', allow.roles('partner'), async (req, res) => {
    const rows = await assessments.overview(req.user!)
    res.render('assessment/overview', { title: 'Your self-assessments', rows, statusTags })
  })

  r.get('/rounds/:roundId/organisations/:organisationId', allow.signedIn, async (req, res) => {
    const ctx = await assessments.context(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'))
    res.render('assessment/task-list', {
      title: `${ctx.organisation.name}: self-assessment`,
      ctx,
      base: basePath(ctx),
      domains: assessments.domainSummaries(ctx),
      progress: assessments.progress(ctx),
      daysLeft: assessments.daysLeft(ctx.deadline),
      statusTags,
      backLink: ctx.canEdit ? { href: '/assessments', text: 'Your self-assessments' } : undefined,
    })
  })

  async function renderDomain(
    req: Request,
    res: Response,
    options: {
      typed?: Map<string, TypedAnswer>
      /** A posted form to show again, as typed. */
      body?: Record<string, unknown>
      errors?: FormError[]
      conflicts?: ConflictingAnswer[]
      notice?: string
      status?: number
    } = {},
  ) {
    const domainCode = String(req.params.domainCode)
    // The page shows only its domain's answers, so only they are read.
    const ctx = await assessments.context(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'), { domainCode })
    const criteria = assessments.criteriaOf(ctx, domainCode)
    const domain = ctx.framework.domains.find((d) => d.code === domainCode)!
    const pending = req.session.pendingForm
    let typed = options.typed ?? (options.body && readTypedAnswers(options.body, criteria))
    let notice = options.notice
    if (!typed && pending && pending.path === req.originalUrl && ctx.editable) {
      // The user was signed out while answering: what they typed comes back, unsaved, for them to check and save.
      typed = readTypedAnswers(pending.body, criteria)
      const saved = assessments.savedTyped(ctx, criteria)
      for (const criterion of criteria)
        Object.assign(typed.get(criterion.code)!, { version: saved.get(criterion.code)!.version, base: saved.get(criterion.code)!.base })
      notice = 'You were signed out before your last changes were saved. We have kept what you typed below – check it and save.'
      delete req.session.pendingForm
    }
    let savedTyped: Map<string, TypedAnswer> | undefined
    const saved = () => (savedTyped ??= assessments.savedTyped(ctx, criteria))
    const shown = typed ?? saved()
    const domainIndex = ctx.framework.domains.findIndex((d) => d.code === domainCode)
    // What each criterion's part of the page reads, besides its own criterion and answer.
    const criterionLocals = {
      ctx,
      fieldIds,
      maxEvidenceLength,
      maxSupportLength,
      levelField: (criterion: CriterionWithDescriptors, value: string, error?: string) =>
        levelField(ctx.framework, criterion, value, error),
      targetField: (criterion: CriterionWithDescriptors, value: string, error?: string) =>
        targetField(ctx.framework, criterion, value, error),
      choiceFields: ctx.editable ? await choiceFields(res, ctx.framework, criteria, shown, errorsOf(options.errors)) : noChoiceFields,
      ...levelWriters(ctx.framework),
    }
    // Only the saved answers, as they are, are kept: never what someone typed, an error or a colleague's change.
    const keptCriteria =
      typed === undefined && !options.errors?.length && !options.conflicts?.length
        ? await keptRows(
            res.app,
            criterionPartsOf(ctx.framework),
            criteria.map((criterion) => ({ criterion, t: shown.get(criterion.code)! })),
            {
              view: 'assessment/_criterion',
              as: 'part',
              key: ({ criterion, t }) => [criterion.code, ctx.editable, t.version, t.base],
              locals: criterionLocals,
            },
          )
        : undefined
    if (options.status) res.status(options.status)
    res.render('assessment/domain', {
      title: domain.title,
      base: basePath(ctx),
      domain,
      domainNumber: domainIndex + 1,
      domainCount: ctx.framework.domains.length,
      criteria,
      typed: shown,
      keptCriteria,
      ...criterionLocals,
      conflicts: options.conflicts ?? [],
      notice,
      daysLeft: assessments.daysLeft(ctx.deadline),
      savedAt: req.query.saved ? ctx.response?.updatedAt : undefined,
      backLink: { href: basePath(ctx), text: 'Back to the task list' },
      ...formErrorView(options.errors ?? []),
    })
  }

  const domainPath = '/rounds/:roundId/organisations/:organisationId/domains/:domainCode'

  r.get(domainPath, allow.signedIn, (req, res) => renderDomain(req, res))

  r.post(
    domainPath,
    { access: allow.roles('partner'), body: answerFormBody },
    handleForm(
      (req, res, { errors, values }) => renderDomain(req, res, { body: values, errors }),
      async (req, res) => {
        const body = req.body as Record<string, unknown>
        const mode = body.action === 'complete' ? 'complete' : 'save'
        const wantsJson = req.get('accept')?.includes('application/json') === true
        let result: SaveResult
        try {
          result = await assessments.save(
            actorOf(req),
            idParam(req, 'roundId'),
            idParam(req, 'organisationId'),
            String(req.params.domainCode),
            body,
            mode,
          )
        } catch (error) {
          // Autosave's answer; a page's form is shown again by handleForm.
          if (wantsJson && error instanceof ValidationError)
            return res.status(400).json({ error: { code: 'invalid', message: error.message } })
          throw error
        }
        if (wantsJson) {
          if (result.kind === 'saved') {
            return res.json({
              savedAt: result.savedAt.toISOString(),
              savedAtText: formatDateTime(result.savedAt),
              versions: result.versions,
              bases: result.bases,
            })
          }
          if (result.kind === 'closed')
            return res.status(403).json({ error: { code: 'closed', message: 'This self-assessment can no longer be changed.' } })
          return res.status(409).json({
            error: {
              code: 'conflict',
              message: result.conflicts
                .map(
                  (c) =>
                    `${c.criterion.code} was changed by ${c.theirs?.updatedByName ?? 'a colleague'} at ${c.theirs ? formatDateTime(c.theirs.updatedAt) : 'just now'}`,
                )
                .join('. '),
            },
          })
        }
        switch (result.kind) {
          case 'saved':
            if (result.completed || body.action === 'save-and-return') return res.redirect(303, basePathOf(req))
            return res.redirect(303, `${req.originalUrl.split('?')[0]}?saved=1`)
          case 'conflict':
            return renderDomain(req, res, { typed: result.typed, conflicts: result.conflicts, status: 409 })
          case 'closed':
            return renderDomain(req, res, {
              typed: result.typed,
              status: 403,
              notice:
                'This self-assessment can no longer be changed, so what you typed below has not been saved. Copy anything you need to keep.',
            })
        }
      },
    ),
  )

  async function renderCheck(req: Request, res: Response, { errors }: FormState) {
    const ctx = await assessments.context(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'))
    res.render('assessment/check', {
      title: 'Check your answers before you submit',
      ctx,
      base: basePath(ctx),
      domains: assessments.domainSummaries(ctx),
      ...levelWriters(ctx.framework),
      backLink: { href: basePath(ctx), text: 'Back to the task list' },
      ...formErrorView(errors),
    })
  }

  r.get('/rounds/:roundId/organisations/:organisationId/check', allow.signedIn, (req, res) => renderCheck(req, res, blankForm))

  r.post(
    '/rounds/:roundId/organisations/:organisationId/submit',
    allow.roles('partner'),
    handleForm(renderCheck, async (req, res) => {
      const input = parseForm(submissionForm, req.body)
      await assessments.submit(actorOf(req), idParam(req, 'roundId'), idParam(req, 'organisationId'), input)
      res.redirect(303, `${basePathOf(req)}/confirmation`)
    }),
  )

  r.get('/rounds/:roundId/organisations/:organisationId/confirmation', allow.signedIn, async (req, res) => {
    const ctx = await assessments.context(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'))
    if (!ctx.submitted) return res.redirect(303, basePath(ctx))
    res.render('assessment/confirmation', { title: 'Self-assessment submitted', ctx, base: basePath(ctx) })
  })

  r.get('/rounds/:roundId/organisations/:organisationId/answers.csv', allow.signedIn, async (req, res) => {
    const ctx = await assessments.context(req.user!, idParam(req, 'roundId'), idParam(req, 'organisationId'))
    const domainTitle = new Map(ctx.framework.domains.map((d) => [d.code, d.title]))
    const table = arrayTable('Answers', [
      'Domain',
      'Code',
      'Criterion',
      'Level',
      'Evidence',
      'Support we would need',
      'Target level',
      { header: 'Last changed', kind: 'datetime' },
      'Changed by',
    ])
    const rows = ctx.criteria.map((c) => {
      const a = ctx.answers.get(c.code)
      return [
        domainTitle.get(c.domainCode),
        c.code,
        c.title,
        a?.notSure ? 'Not sure yet' : levelLabel(ctx.framework, a?.level),
        a?.evidence ?? '',
        a?.supportNeeded ?? '',
        levelLabel(ctx.framework, a?.targetLevel),
        a?.updatedAt,
        a?.updatedByName ?? '',
      ]
    })
    const filename = `${ctx.organisation.name} - ${ctx.round.title}`.replace(/[^A-Za-z0-9 ,.-]+/g, '').slice(0, 150)
    res.type(csvContentType).attachment(`${filename}.csv`).send(toCsv(table, rows))
  })

  r.get('/rounds/:roundId/organisations/:organisationId/criteria/:code/history', allow.roles('ics_lead', 'partner'), async (req, res) => {
    const { ctx, criterion, entries } = await assessments.history(
      req.user!,
      idParam(req, 'roundId'),
      idParam(req, 'organisationId'),
      String(req.params.code),
    )
    // An answer's history is for the organisation's own respondents and the ICS lead.
    if (!ctx.canEdit && !isIcsLead(req.user!, ctx.round.icsId)) throw new NotFoundError()
    res.render('assessment/history', {
      title: `History of ${criterion.code}`,
      ctx,
      criterion,
      entries,
      ...levelWriters(ctx.framework),
      backLink: { href: basePath(ctx), text: 'Back to the self-assessment' },
    })
  })

  return r.router
}
