import { z } from 'zod'
import { organisationKindLabels, organisationKinds, parseOrganisationKind, type OrganisationKind } from '../organisations/kinds'
import type { CsvRecord } from './csvText'

/**
 * The CSV import of places, partner organisations and their contacts, as pure rules: which
 * rows are fine, what they would create, and every problem with its line, column and the
 * name of the organisation or person the row is about. Nothing here touches the database:
 * what already exists comes in as a Directory, and the plan goes out to be written in one
 * transaction.
 *
 * One row per thing to add:
 *   - a place alone (organisation and contact blank) adds the place;
 *   - a place and organisation (with its type) adds the organisation, if new;
 *   - with a contact name and e-mail, the contact is invited as a partner respondent of the
 *     organisation (which may already exist, or be added by this file).
 * A place an organisation names must exist already or be added by a row of the file, so a
 * misspelt place is caught rather than quietly created.
 */

export const importColumns = ['Place', 'Organisation', 'Organisation type', 'Contact name', 'Contact email'] as const

/** A download of the rows with problems carries their messages in this extra column; an upload may keep it. */
export const problemsColumn = 'Problems'

export type ImportColumn = (typeof importColumns)[number]

export interface ImportProblem {
  line: number
  /** The column the problem is in; null for the row as a whole. */
  column: ImportColumn | null
  /** The person or organisation (else the place) the row is about, so the problem can be found. */
  name: string
  message: string
}

/** What already exists in the ICS, keyed by normalised name (see nameKey). */
export interface Directory {
  places: Map<string, { id: number; name: string; retired: boolean }>
  /** Keyed by `${placeKey}\u0000${organisationKey}`. */
  organisations: Map<string, { id: number; name: string; kind: string; retired: boolean }>
  /** `${organisationId}\u0000${email}` for contacts already invited (and not revoked or expired) or with access. */
  contacts: Set<string>
}

export interface PlannedPlace {
  line: number
  name: string
}

export interface PlannedOrganisation {
  line: number
  placeName: string
  name: string
  kind: OrganisationKind
}

export interface PlannedContact {
  line: number
  placeName: string
  organisationName: string
  name: string
  email: string
}

export interface ImportPlan {
  places: PlannedPlace[]
  organisations: PlannedOrganisation[]
  contacts: PlannedContact[]
}

export interface ImportCounts {
  rows: number
  places: number
  organisations: number
  contacts: number
}

export const maxImportRows = 20_000

/** Names compare without regard to case or runs of spaces: "St Helens" and "st  helens" are one place. */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase()
}

export function organisationKey(placeName: string, organisationName: string): string {
  return `${nameKey(placeName)}\u0000${nameKey(organisationName)}`
}

const emailFormat = z.email()

const limits: Record<ImportColumn, number> = {
  Place: 200,
  Organisation: 200,
  'Organisation type': 100,
  'Contact name': 200,
  'Contact email': 320,
}

function headerKey(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, ' ')
}

/** Checks the header row: the five columns, in order, optionally followed by the problems column. */
export function checkHeader(record: CsvRecord | undefined): ImportProblem[] {
  const expected = importColumns.map((c) => c.toLowerCase())
  const cells = record?.cells.map(headerKey) ?? []
  const withProblems = cells.length === expected.length + 1 && cells[expected.length] === problemsColumn.toLowerCase()
  const matches = cells.slice(0, expected.length).join('|') === expected.join('|') && (cells.length === expected.length || withProblems)
  if (matches) return []
  return [
    {
      line: record?.line ?? 1,
      column: null,
      name: '',
      message: `The first row must name the columns: ${importColumns.join(', ')} (download the template to start from)`,
    },
  ]
}

/**
 * Checks rows a batch at a time (so a long file can report progress) and remembers what earlier
 * rows added, to find duplicates within the file. Call declarePlaces with every record first:
 * a place may be added by a row after the organisations that name it.
 */
export class PartnerImportChecker {
  readonly problems: ImportProblem[] = []
  readonly plan: ImportPlan = { places: [], organisations: [], contacts: [] }
  private rows = 0
  private readonly declaredPlaces = new Map<string, number>()
  private readonly placeRows = new Map<string, number>()
  private readonly newOrganisations = new Map<string, { line: number; kind: OrganisationKind | undefined }>()
  private readonly contactRows = new Map<string, number>()
  private readonly width: number
  private readonly notUtf8: Set<number>

  constructor(
    private readonly directory: Directory,
    options: { withProblemsColumn: boolean; notUtf8Lines?: number[] } = { withProblemsColumn: false },
  ) {
    this.width = importColumns.length + (options.withProblemsColumn ? 1 : 0)
    this.notUtf8 = new Set(options.notUtf8Lines ?? [])
  }

  /** Notes every place the file adds (rows with a place and nothing else), before checking rows. */
  declarePlaces(records: CsvRecord[]): void {
    for (const record of records) {
      if (record.cells.length !== importColumns.length && record.cells.length !== this.width) continue
      const [place = '', organisation = '', kind = '', contactName = '', contactEmail = ''] = record.cells.map((c) => c.trim())
      if (place && !organisation && !kind && !contactName && !contactEmail && !this.declaredPlaces.has(nameKey(place))) {
        this.declaredPlaces.set(nameKey(place), record.line)
      }
    }
  }

  check(records: CsvRecord[]): void {
    for (const record of records) this.checkRecord(record)
  }

  counts(): ImportCounts {
    return {
      rows: this.rows,
      places: this.plan.places.length,
      organisations: this.plan.organisations.length,
      contacts: this.plan.contacts.length,
    }
  }

  private checkRecord(record: CsvRecord): void {
    const { line } = record
    const cells = record.cells.map((c) => c.trim())
    if (cells.every((c) => c === '')) return
    this.rows++
    const problem = (column: ImportColumn | null, name: string, message: string) => this.problems.push({ line, column, name, message })
    const [place = '', organisation = '', kindText = '', contactName = '', contactEmail = ''] = cells
    const rowName = contactName || organisation || place
    if (this.notUtf8.has(line)) {
      problem(null, rowName, 'is not UTF-8 text: save the file as “CSV UTF-8” and upload it again')
    }
    if (cells.length !== importColumns.length && cells.length !== this.width) {
      problem(
        null,
        rowName,
        `has ${cells.length} ${cells.length === 1 ? 'column' : 'columns'}; every row needs ${importColumns.length}: ${importColumns.join(', ')}`,
      )
      return
    }
    let tooLong = false
    importColumns.forEach((column, i) => {
      if (cells[i]!.length > limits[column]) {
        problem(column, rowName, `must be ${limits[column]} characters or fewer`)
        tooLong = true
      }
    })
    if (tooLong) return
    if (!place) {
      problem('Place', rowName, 'Enter the place')
      return
    }

    // A place alone.
    if (!organisation) {
      if (kindText || contactName || contactEmail) {
        problem('Organisation', rowName, 'Enter the organisation (a row with a place alone adds the place)')
        return
      }
      const key = nameKey(place)
      const existing = this.directory.places.get(key)
      const earlier = this.placeRows.get(key)
      if (existing) problem('Place', place, `${existing.name} already exists${existing.retired ? ' (retired)' : ''}`)
      else if (earlier !== undefined) problem('Place', place, `is a duplicate of line ${earlier}`)
      else {
        this.placeRows.set(key, line)
        this.plan.places.push({ line, name: tidy(place) })
      }
      return
    }

    // An organisation, perhaps with a contact.
    const existingPlace = this.directory.places.get(nameKey(place))
    let placeOk = true
    if (existingPlace?.retired) {
      problem('Place', rowName, `${existingPlace.name} is retired: reinstate it before adding organisations to it`)
      placeOk = false
    } else if (!existingPlace && !this.declaredPlaces.has(nameKey(place))) {
      problem('Place', rowName, `“${tidy(place)}” is not a place in this ICS, and no row of the file adds it`)
      placeOk = false
    }

    const kind = kindText ? parseOrganisationKind(kindText) : undefined
    if (kindText && !kind) {
      problem(
        'Organisation type',
        rowName,
        `“${kindText}” is not an organisation type: use one of ${organisationKinds.map((k) => organisationKindLabels[k]).join(', ')}`,
      )
    }

    const orgKey = organisationKey(place, organisation)
    const existingOrganisation = this.directory.organisations.get(orgKey)
    const hasContact = Boolean(contactName || contactEmail)
    let organisationOk = placeOk
    if (existingOrganisation) {
      if (existingOrganisation.retired) {
        problem('Organisation', rowName, `${existingOrganisation.name} is retired: reinstate it before inviting its contacts`)
        organisationOk = false
      } else if (kind && kind !== existingOrganisation.kind) {
        problem(
          'Organisation type',
          rowName,
          `${existingOrganisation.name} already exists as ${article(organisationKindLabels[existingOrganisation.kind as OrganisationKind] ?? existingOrganisation.kind)}`,
        )
      }
      if (!hasContact)
        problem('Organisation', organisation, `${existingOrganisation.name} already exists in ${existingPlace?.name ?? place}`)
    } else {
      const earlier = this.newOrganisations.get(orgKey)
      if (earlier) {
        if (!hasContact) problem('Organisation', organisation, `is a duplicate of line ${earlier.line}`)
        if (kind && earlier.kind && kind !== earlier.kind) {
          problem('Organisation type', rowName, `is not the type line ${earlier.line} gives ${tidy(organisation)}`)
        } else if (kind && !earlier.kind) earlier.kind = kind
      } else if (!kindText) {
        problem('Organisation type', rowName, `Enter the organisation type of ${tidy(organisation)}`)
        organisationOk = false
      } else {
        this.newOrganisations.set(orgKey, { line, kind })
        if (!kind) organisationOk = false
        if (kind && placeOk) this.plan.organisations.push({ line, placeName: tidy(place), name: tidy(organisation), kind })
      }
    }

    if (!hasContact) return
    const email = contactEmail.toLowerCase()
    let contactOk = organisationOk
    if (!contactName) {
      problem('Contact name', contactEmail, 'Enter the contact’s name')
      contactOk = false
    }
    if (!contactEmail) {
      problem('Contact email', contactName, `Enter ${tidy(contactName)}’s email address`)
      return
    }
    if (!emailFormat.safeParse(email).success) {
      problem('Contact email', rowName, 'Enter an email address in the correct format, like name@example.org')
      return
    }
    const contactKey = `${orgKey}\u0000${email}`
    const earlierContact = this.contactRows.get(contactKey)
    if (earlierContact !== undefined) {
      problem('Contact email', rowName, `is a duplicate of line ${earlierContact}`)
      return
    }
    this.contactRows.set(contactKey, line)
    if (existingOrganisation && this.directory.contacts.has(`${existingOrganisation.id}\u0000${email}`)) {
      problem('Contact email', rowName, `${email} is already invited to ${existingOrganisation.name} or has access to it`)
      return
    }
    if (contactOk)
      this.plan.contacts.push({ line, placeName: tidy(place), organisationName: tidy(organisation), name: tidy(contactName), email })
  }
}

function tidy(text: string): string {
  return text.trim().replace(/\s+/g, ' ')
}

function article(label: string): string {
  return /^[AEIOU]/.test(label) && !/^(VCSE)/.test(label) ? `an ${label}` : `a ${label}`
}

/** Problems in file order: by line, then as found. */
export function sortProblems(problems: ImportProblem[]): ImportProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.i - b.i)
    .map(({ p }) => p)
}
