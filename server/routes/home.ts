import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { describeScope, roleLabels, type CurrentUser, type Membership } from '../auth/types'
import type { AssessmentService } from '../services/assessmentService'
import type { DashboardService } from '../services/dashboardService'

interface HomeLink {
  href: string
  text: string
  description: string
}

const frameworkLink = {
  href: '/framework',
  text: 'Read the framework',
  description: 'The criteria and what each maturity level looks like.',
}

/** What each role can do from its home page, for one scope. */
function linksFor(m: Membership): HomeLink[] {
  switch (m.role) {
    case 'ics_lead':
      return [
        {
          href: '/dashboard',
          text: 'Dashboard',
          description: 'Compare places: readiness, a heatmap of every criterion, charts and trends since the last round.',
        },
        {
          href: '/rounds',
          text: 'Assessment rounds',
          description: 'Progress of each round, deadlines and extensions, reopening a response.',
        },
        { href: '/places', text: 'Places', description: 'Each place’s return, readiness recommendation, decision and development plan.' },
        {
          href: `/admin/places?ics=${m.icsId}`,
          text: 'Partner organisations',
          description: 'Places and their partners: add, change and retire them, see who can answer for each and invite their contacts.',
        },
        {
          href: `/admin/imports?ics=${m.icsId}`,
          text: 'Import from a spreadsheet',
          description: 'Add places, partner organisations and contacts from a CSV file, checked before anything is added.',
        },
        {
          href: `/admin/frameworks?ics=${m.icsId}`,
          text: 'Frameworks',
          description: 'The framework versions rounds use: upload one, compare versions, start a draft.',
        },
        {
          href: `/admin/invitations?ics=${m.icsId}`,
          text: 'Invite people',
          description: 'Invite place leads, partner respondents and board viewers.',
        },
        {
          href: `/admin/users?ics=${m.icsId}`,
          text: 'Users',
          description: 'Everyone with a role in the ICS: change roles, deactivate accounts.',
        },
        { href: '/admin/outbox', text: 'Outbox', description: 'E-mails PlaceReady has sent or is holding.' },
        { href: `/admin/audit?ics=${m.icsId}`, text: 'Audit trail', description: 'Who did what, and when.' },
        {
          href: `/admin/api-tokens?ics=${m.icsId}`,
          text: 'API tokens',
          description: 'Tokens for the PlaceReady API, so analysts’ own tools can read the ICS’s results and answers.',
        },
      ]
    case 'place_lead':
      return [
        {
          href: '/dashboard',
          text: `Dashboard: ${m.placeName} against the ICS median`,
          description: 'Every criterion’s level, charts and the trend since the last round.',
        },
        {
          href: `/places/${m.placeId}`,
          text: `${m.placeName}: return, readiness and development plan`,
          description: 'Review partners’ answers side by side, agree the place’s position and submit the place return.',
        },
        {
          href: `/admin/places/${m.placeId}`,
          text: `${m.placeName}’s partner organisations`,
          description: 'Add and change partner organisations, see who can answer for each and how far they have got.',
        },
        {
          href: `/admin/invitations?ics=${m.icsId}`,
          text: 'Invite partners',
          description: `Invite partner respondents from ${m.placeName}’s partner organisations.`,
        },
      ]
    case 'partner':
      return [
        {
          href: '/assessments',
          text: 'Your self-assessments',
          description: `Answer the framework for ${m.organisationName}, save as you go, and submit.`,
        },
        frameworkLink,
      ]
    case 'viewer':
      return [
        {
          href: '/dashboard',
          text: 'Dashboard',
          description: m.placeId ? `${m.placeName} against the ICS median.` : 'Compare places: readiness, levels and trends.',
        },
        {
          href: m.placeId ? `/places/${m.placeId}` : '/places',
          text: m.placeId ? m.placeName! : 'Places',
          description: 'Readiness, decisions and development plans.',
        },
        frameworkLink,
      ]
  }
}

/** The header's menu: the sections this user's roles can reach. */
export function navigationFor(user: CurrentUser | undefined): Array<{ href: string; text: string }> {
  if (!user)
    return [
      { href: '/', text: 'Home' },
      { href: '/framework', text: 'The framework' },
    ]
  const roles = new Set(user.memberships.map((m) => m.role))
  const items = [{ href: '/home', text: 'Home' }]
  if (roles.has('partner')) items.push({ href: '/assessments', text: 'Self-assessments' })
  if (roles.has('ics_lead') || roles.has('place_lead') || roles.has('viewer'))
    items.push({ href: '/dashboard', text: 'Dashboard' }, { href: '/places', text: 'Places' })
  if (roles.has('ics_lead')) items.push({ href: '/rounds', text: 'Rounds' }, { href: '/admin/users', text: 'Users' })
  if (roles.has('ics_lead') || roles.has('place_lead'))
    items.push({ href: '/admin/places', text: 'Partners' }, { href: '/admin/invitations', text: 'Invitations' })
  if (roles.has('ics_lead')) items.push({ href: '/admin/audit', text: 'Audit' })
  items.push({ href: '/framework', text: 'Framework' })
  return items
}

export function homeRoutes(dashboards: DashboardService, assessments: AssessmentService) {
  const r = guardedRouter()

  r.get('/', allow.public, (req, res) => {
    if (req.user) return res.redirect(303, '/home')
    res.render('pages/start', { title: 'Assess your place partnership’s readiness for delegation' })
  })

  // Each role's card says what to do next: a partner's open self-assessments, a place lead's
  // return and partners' progress, an ICS lead's current round; then the role's links.
  r.get('/home', allow.signedIn, async (req, res) => {
    const user = req.user!
    const partnerRounds = user.memberships.some((m) => m.role === 'partner') ? await assessments.overview(user) : []
    const scopes = await Promise.all(
      user.memberships.map(async (m) => ({
        membership: m,
        roleLabel: roleLabels[m.role],
        scope: describeScope(m),
        links: linksFor(m),
        assessments:
          m.role === 'partner'
            ? partnerRounds.filter((a) => a.organisationId === m.organisationId && a.isOpen && a.status !== 'submitted')
            : [],
        ics: m.role === 'ics_lead' || (m.role === 'viewer' && m.placeId === null) ? await dashboards.icsHome(user, m) : null,
        place: m.role === 'place_lead' ? await dashboards.placeHome(m) : null,
      })),
    )
    res.render('pages/home', { title: 'Your PlaceReady', scopes })
  })

  return r.router
}
