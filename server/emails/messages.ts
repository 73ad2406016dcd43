import { formatDateTime } from '../time/london'

/**
 * The words of every e-mail PlaceReady sends, as pure functions of what they tell: services
 * and jobs decide when a mail goes and to whom, these decide what it says.
 */
export interface MailContent {
  subject: string
  text: string
}

export function submissionConfirmation(m: {
  recipientName: string
  organisationName: string
  placeName: string
  roundTitle: string
  reference: string
}): MailContent {
  return {
    subject: `Submitted: ${m.organisationName} self-assessment, reference ${m.reference}`,
    text: [
      `Dear ${m.recipientName},`,
      '',
      `You submitted ${m.organisationName}’s self-assessment for "${m.roundTitle}" (${m.placeName}).`,
      '',
      `Reference: ${m.reference}`,
      '',
      `Your answers are now with the ${m.placeName} place lead, who will agree the place’s position with all partners. You can still read your answers and download a copy in PlaceReady. If you need to change something, ask your ICS lead to reopen it.`,
    ].join('\n'),
  }
}

export function invitation(m: {
  recipientName: string
  inviterName: string
  roleLabel: string
  scope: string
  placeOrIcsName: string
  link: string
}): MailContent {
  return {
    subject: `You are invited to PlaceReady for ${m.placeOrIcsName}`,
    text: [
      `Dear ${m.recipientName},`,
      '',
      `${m.inviterName} has invited you to PlaceReady as ${m.roleLabel.toLowerCase()} for ${m.scope}.`,
      '',
      'PlaceReady is where the partners of a place-based partnership self-assess the partnership’s maturity, so the Integrated Care Board can decide how much to delegate to the place.',
      '',
      'To accept and set your password, open this link:',
      '',
      m.link,
      '',
      'The link works once and expires in 14 days. If you were not expecting this invitation, you can ignore this e-mail.',
    ].join('\n'),
  }
}

export function passwordReset(m: { recipientName: string; link: string }): MailContent {
  return {
    subject: 'Reset your PlaceReady password',
    text: [
      `Dear ${m.recipientName},`,
      '',
      'Someone asked to reset the password of your PlaceReady account. To choose a new password, open this link:',
      '',
      m.link,
      '',
      'The link works once and expires in 2 hours. If you did not ask for this, you can ignore this e-mail: your password has not changed.',
    ].join('\n'),
  }
}

export function deadlineReminder(m: {
  /** The last one, the day before the deadline. */
  final: boolean
  recipientName: string
  organisationName: string
  placeName: string
  roundTitle: string
  deadline: Date
  answered: number
  criteria: number
  link: string
}): MailContent {
  const deadline = formatDateTime(m.deadline)
  return {
    subject: `${m.final ? 'Final reminder' : 'Reminder'}: ${m.organisationName} self-assessment due by ${deadline}`,
    text: [
      `Dear ${m.recipientName},`,
      '',
      `${m.organisationName} has not yet submitted its self-assessment for "${m.roundTitle}" (${m.placeName}).`,
      '',
      `The deadline is ${deadline}.`,
      `Progress so far: ${m.answered} of ${m.criteria} answered.`,
      '',
      'Continue the self-assessment:',
      m.link,
      '',
      `When every domain is complete, check the answers and submit them with the declaration. Only one person needs to submit for ${m.organisationName}. If a colleague is doing it, you can ignore this reminder.`,
    ].join('\n'),
  }
}
