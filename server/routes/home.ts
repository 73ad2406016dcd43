import { allow } from '../auth/access'
import { guardedRouter } from '../auth/guardedRouter'
import { describeScope, roleLabels, type Membership } from '../auth/types'

interface HomeLink {
  href: string
  text: string
  description: string
}

/** What each role can do from its home page, for one scope. */
function linksFor(m: Membership): HomeLink[] {
  switch (m.role) {
    case 'ics_lead':
      return [
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
      ]
    case 'place_lead':
      return [
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
        { href: '/framework', text: 'Read the framework', description: 'The criteria and what each maturity level looks like.' },
      ]
    case 'viewer':
      return [
        {
          href: m.placeId ? `/places/${m.placeId}` : '/places',
          text: m.placeId ? m.placeName! : 'Places',
          description: 'Readiness, decisions and development plans.',
        },
        { href: '/framework', text: 'Read the framework', description: 'The criteria and what each maturity level looks like.' },
      ]
  }
}

export function homeRoutes() {
  const r = guardedRouter()

  r.get('/', allow.public, (req, res) => {
    if (req.user) return res.redirect(303, '/home')
    res.render('pages/start', { title: 'Assess your place partnership’s readiness for delegation' })
  })

  r.get('/home', allow.signedIn, (req, res) => {
    const user = req.user!
    res.render('pages/home', {
      title: 'Your PlaceReady',
      scopes: user.memberships.map((m) => ({ membership: m, roleLabel: roleLabels[m.role], scope: describeScope(m), links: linksFor(m) })),
    })
  })

  return r.router
}
