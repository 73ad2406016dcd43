import { spawn } from 'node:child_process'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { londonDateOf } from '../../server/time/london'
import { repositoryRoot } from '../helpers/serverProcess'
import { documentStatus, errorSummaryFocused, heading } from './support/assertions'
import { checkPage } from './support/checkPage'
import { setUpE2E } from './support/harness'
import { acceptInvitation, answerCriteria, criterionCodes, invitationLinkFromOutbox } from './support/journeys'
import type { E2EServer } from './support/server'

/**
 * A new ICS, from nothing (DEMO=off): the operator creates it with npm run ics:create; its first
 * ICS lead imports places and partners from a CSV file (after fixing a file with problems),
 * creates a round, and a partner invited by the import answers and submits. Every new
 * administration page is checked on the way (axe, reflow, text zoom).
 */
const e2e = setUpE2E({ DEMO: 'off' })

/** `npm run ics:create` against the server's database; the invitation link it prints. */
function icsCreate(server: E2EServer, name: string, lead: string): Promise<string> {
  const config = server.database.config
  const databaseEnv =
    config.client === 'postgres' ? { DATABASE_URL: config.connectionString } : { DATABASE_FILE: config.filename, DATABASE_URL: '' }
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(repositoryRoot, 'node_modules', '.bin', 'tsx'),
      [path.join(repositoryRoot, 'scripts', 'ics-create.ts'), '--name', name, '--lead', lead],
      {
        cwd: repositoryRoot,
        env: { ...process.env, ...databaseEnv, SMTP_URL: '', BASE_URL: server.baseUrl, LOG_LEVEL: 'silent' },
      },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => {
      const link = /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/.exec(output)?.[0]
      if (code !== 0 || !link) reject(new Error(`ics:create failed (${code}): ${output}`))
      else resolve(new URL(link).pathname)
    })
  })
}

const header = 'Place,Organisation,Organisation type,Contact name,Contact email'
const partner = { name: 'Priya Shah', email: 'priya.shah@northshire-council.example.org', organisation: 'Northshire Council' }

async function uploadCsv(page: Page, name: string, csv: string): Promise<void> {
  await page.goto('/admin/imports')
  await page.getByLabel('CSV file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') })
  await page.getByRole('button', { name: 'Check the file' }).click()
  await page.waitForURL(/\/admin\/imports\/\d+$/)
  // The page follows the check (with JavaScript, without reloading) until it is done.
  await page.locator('#import-progress').waitFor({ state: 'detached' })
}

test('a new ICS imports its places and partners, creates a round, and a partner invited by the import answers and submits', async () => {
  const lead = (await e2e.session()).page
  const link = await icsCreate(e2e.server, 'NHS Northshire Integrated Care System', 'alex.morgan@northshire-icb.example.org')
  await acceptInvitation(lead, link, 'harbour-lantern-meadow-81')
  expect(await heading(lead)).toBe('Welcome, Alex Morgan')

  // An import with problems: every one listed, nothing imported.
  await lead.goto('/home')
  await lead.locator('main').getByRole('link', { name: 'Import from a spreadsheet' }).click()
  await lead.waitForURL('**/admin/imports*')
  await checkPage(lead, 'admin-imports')
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Check the file' }).click())).toBe(400)
  expect(await errorSummaryFocused(lead)).toEqual(['Choose a CSV file, or paste its rows, to import'])
  await checkPage(lead, 'admin-imports-error')
  await uploadCsv(
    lead,
    'partners.csv',
    [header, 'Northshire,Northshire Council,Council house,Priya Shah,priya.shah@', 'Southshire,Southshire Trust,Acute trust,,'].join('\n'),
  )
  expect(await lead.locator('.nhsuk-error-summary__title').textContent()).toBe('Nothing has been imported')
  expect(await lead.getByRole('row').count()).toBe(1 + 4)
  await checkPage(lead, 'admin-import-problems')

  // Fixed, the file shows what it would add; confirmed, it is imported.
  await uploadCsv(
    lead,
    'partners-fixed.csv',
    [
      header,
      'Northshire,,,,',
      'Southshire,,,,',
      `Northshire,${partner.organisation},Local authority,${partner.name},${partner.email}`,
      'Northshire,Northshire Healthwatch,Healthwatch,Sam Lee,sam.lee@healthwatch-northshire.example.org',
      'Southshire,Southshire Hospitals,Acute trust,Kit Ng,kit.ng@southshire-hospitals.example.org',
    ].join('\n'),
  )
  expect(await heading(lead)).toBe('Check before you import partners-fixed.csv')
  await checkPage(lead, 'admin-import-preview')
  await lead.getByRole('button', { name: 'Import 5 rows' }).click()
  await lead.locator('.nhsuk-panel--confirmation').waitFor()
  expect(await lead.locator('.nhsuk-panel__body').textContent()).toContain('2 places, 3 organisations and 3 contacts invited')
  await checkPage(lead, 'admin-import-complete')

  // Places and partners, and a place's contacts.
  await lead.goto('/admin/places')
  await checkPage(lead, 'admin-places')
  await lead.getByRole('link', { name: 'Northshire', exact: true }).click()
  await lead.waitForURL(/\/admin\/places\/\d+$/)
  await checkPage(lead, 'admin-place')
  await lead.getByRole('link', { name: 'Contacts', exact: true }).click()
  await lead.waitForURL(/\/contacts$/)
  expect(await lead.getByRole('row').filter({ hasText: partner.name }).locator('.nhsuk-tag').textContent()).toBe('Invited')
  await checkPage(lead, 'admin-contacts')
  await lead.getByRole('link', { name: partner.organisation, exact: true }).click()
  await lead.waitForURL(/\/admin\/organisations\/\d+$/)
  await checkPage(lead, 'admin-organisation')

  // Frameworks: the bundled ones, compared.
  await lead.goto('/admin/frameworks')
  await checkPage(lead, 'admin-frameworks')
  await lead.getByRole('button', { name: 'Compare' }).click()
  await lead.waitForURL(/\/admin\/frameworks\/compare\?/)
  await checkPage(lead, 'admin-framework-compare')
  await lead.goto('/admin/frameworks')
  await lead.getByRole('link', { name: /^Cheshire and Merseyside place development framework/ }).click()
  await lead.waitForURL(/\/admin\/frameworks\/\d+$/)
  await checkPage(lead, 'admin-framework-version')

  // A round, after fixing the form.
  await lead.goto('/rounds')
  await checkPage(lead, 'rounds-empty')
  await lead.getByRole('button', { name: 'Create a round' }).click()
  await lead.waitForURL('**/rounds/new*')
  await checkPage(lead, 'round-form')
  expect(await documentStatus(lead, () => lead.getByRole('button', { name: 'Create the round' }).click())).toBe(400)
  expect(await errorSummaryFocused(lead)).toEqual([
    'Enter the name of the round',
    'Select the framework version',
    'Enter when the round opens',
    'Enter the deadline',
  ])
  await checkPage(lead, 'round-form-error')
  const today = new Date()
  const deadline = new Date(today.getTime() + 30 * 24 * 60 * 60 * 1000)
  await lead.getByLabel('Name of the round').fill('Northshire place development, first round')
  await lead
    .getByLabel('Framework version')
    .selectOption({ label: 'Cheshire and Merseyside place development framework, version 2021 (16 criteria)' })
  const dateParts = (legend: string, instant: Date, time: string) => async () => {
    const group = lead.getByRole('group', { name: legend })
    const date = londonDateOf(instant)
    await group.getByLabel('Day').fill(String(date.day))
    await group.getByLabel('Month').fill(String(date.month))
    await group.getByLabel('Year').fill(String(date.year))
    await group.getByLabel('Time (London)').fill(time)
  }
  await dateParts('When the round opens', today, '00:00')()
  await dateParts('Deadline', deadline, '17:00')()
  await lead.getByRole('button', { name: 'Create the round' }).click()
  await lead.waitForURL(/\/rounds\/\d+\/manage\?created=1$/)
  expect(await lead.locator('h1 .nhsuk-tag').textContent()).toBe('Open')
  await checkPage(lead, 'round-manage-new')
  await lead.getByRole('link', { name: 'Northshire', exact: true }).click()
  await lead.waitForURL(/\/manage\/places\/\d+$/)
  await checkPage(lead, 'round-manage-place-new')
  const roundPlacePage = lead.url()

  // The partner the import invited follows the link in the outbox, answers every domain and submits.
  const partnerPage = (await e2e.session()).page
  const invitation = await invitationLinkFromOutbox(lead, partner.email)
  await acceptInvitation(partnerPage, invitation, 'kettle-orchard-river-27')
  await partnerPage.goto('/assessments')
  await partnerPage.locator('.nhsuk-card').filter({ hasText: 'Northshire place development, first round' }).getByRole('link').click()
  await partnerPage.waitForURL(/\/rounds\/\d+\/organisations\/\d+$/)
  const taskList = partnerPage.url()
  for (const domain of ['Ambition & vision', 'Leadership & culture', 'Design & delivery', 'Governance']) {
    await partnerPage.getByRole('link', { name: domain, exact: true }).click()
    await partnerPage.waitForURL(/\/domains\/[A-Z]+$/)
    const codes = await criterionCodes(partnerPage)
    await answerCriteria(
      partnerPage,
      Object.fromEntries(codes.map((code) => [code, { level: '3 – Maturing', evidence: `Board minutes for ${code}.` }])),
    )
    await partnerPage.getByRole('button', { name: 'Mark this domain as complete' }).click()
    await partnerPage.waitForURL(taskList)
  }
  await partnerPage.getByRole('button', { name: 'Check your answers and submit' }).click()
  await partnerPage.waitForURL(`${taskList}/check`)
  await partnerPage.getByLabel(`These answers reflect the view of ${partner.organisation}`).check()
  await partnerPage.getByRole('button', { name: 'Submit the self-assessment' }).click()
  await partnerPage.waitForURL(`${taskList}/confirmation`)
  expect(await heading(partnerPage)).toBe('Self-assessment submitted')

  // The ICS lead sees it on the place's page of the round, and the contact as submitted.
  await lead.goto(roundPlacePage)
  expect(await lead.getByRole('row').filter({ hasText: partner.organisation }).locator('.nhsuk-tag').first().textContent()).toBe(
    'Submitted',
  )
  await lead.getByRole('link', { name: 'Northshire’s contacts' }).click()
  await lead.waitForURL(/\/admin\/places\/\d+\/contacts\?round=\d+$/)
  expect(await lead.getByRole('row').filter({ hasText: partner.name }).locator('.nhsuk-tag').textContent()).toBe('Submitted')
})
