import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import { DatabaseSessionStore } from '../data/sessionStore'
import { ReminderService } from './reminderService'
import type { Logger } from '../logger'
import { ResultsReadModel } from '../results'
import { AccountService } from './accountService'
import { ApiTokenService } from './apiTokenService'
import { AssessmentService } from './assessmentService'
import { AuditService } from './auditService'
import { ExportService } from './exportService'
import { DashboardService } from './dashboardService'
import { FrameworkService } from './frameworkService'
import { IcsService } from './icsService'
import { ImportService } from './importService'
import { InvitationService } from './invitationService'
import { Mailer } from './mailer'
import { PlaceAdminService } from './placeAdminService'
import { PlaceReturnService } from './placeReturnService'
import { ReportService } from './reportService'
import { RoundService } from './roundService'
import { UserAdminService } from './userAdminService'

export type Clock = () => Date

export interface Services {
  clock: Clock
  frameworks: FrameworkService
  audit: AuditService
  mailer: Mailer
  sessions: DatabaseSessionStore
  accounts: AccountService
  invitations: InvitationService
  userAdmin: UserAdminService
  assessments: AssessmentService
  placeReturns: PlaceReturnService
  /** The one read model of a round's results (server/results/): dashboard, PDFs, exports and API read it. */
  results: ResultsReadModel
  /** The dashboard, the home pages' round summaries and the places overview, from the read model. */
  dashboards: DashboardService
  /** Board reports (place and system PDFs) and the publication of a round's results. */
  reports: ReportService
  reminders: ReminderService
  rounds: RoundService
  icss: IcsService
  /** Exports of a round (CSV, Excel, JSON) and the rows behind the API, read in pages. */
  exports: ExportService
  apiTokens: ApiTokenService
  imports: ImportService
  placeAdmin: PlaceAdminService
}

/** Every service, wired once; tests pass a clock to move time without waiting. */
export function createServices(db: Database, config: AppConfig, logger: Logger, clock: Clock = () => new Date()): Services {
  const audit = new AuditService(db, clock)
  const mailer = new Mailer(db, config.smtpUrl, config.mailFrom, logger, clock)
  const sessions = new DatabaseSessionStore(db, clock)
  const results = new ResultsReadModel(db, clock)
  const dashboards = new DashboardService(db, results, clock)
  const reminders = new ReminderService(db, mailer, config.baseUrl, clock, logger)
  const invitations = new InvitationService(db, config, audit, mailer, clock)
  return {
    clock,
    frameworks: new FrameworkService(db, audit),
    audit,
    mailer,
    sessions,
    accounts: new AccountService(db, config, audit, mailer, sessions, clock),
    invitations,
    userAdmin: new UserAdminService(db, audit, sessions, clock),
    assessments: new AssessmentService(db, audit, mailer, clock),
    placeReturns: new PlaceReturnService(db, audit, clock, dashboards),
    results,
    dashboards,
    reports: new ReportService(db, results, audit, clock, config.protectiveMarking),
    reminders,
    rounds: new RoundService(db, audit, reminders, mailer, clock),
    icss: new IcsService(db, invitations, audit, mailer, clock, config.smtpUrl !== undefined),
    exports: new ExportService(db, results, audit),
    apiTokens: new ApiTokenService(db, audit, clock),
    imports: new ImportService(db, invitations, audit, mailer, clock, logger),
    placeAdmin: new PlaceAdminService(db, audit, clock),
  }
}
