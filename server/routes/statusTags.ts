/** How the state of a self-assessment or a domain is tagged, on the partner's pages and the ICS lead's round page. */
export const statusTags = {
  not_started: { text: 'Not started', classes: 'nhsuk-tag--grey' },
  in_progress: { text: 'In progress', classes: 'nhsuk-tag--blue' },
  completed: { text: 'Completed', classes: 'nhsuk-tag--green' },
  submitted: { text: 'Submitted', classes: 'nhsuk-tag--green' },
  closed: { text: 'Closed', classes: 'nhsuk-tag--grey' },
  upcoming: { text: 'Not open yet', classes: 'nhsuk-tag--white' },
} as const
