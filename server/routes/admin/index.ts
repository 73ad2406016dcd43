import { Router } from 'express'
import { PlaceData } from '../../data/places'
import type { Database } from '../../db/connection'
import type { ApiTokenService } from '../../services/apiTokenService'
import type { AuditService } from '../../services/auditService'
import type { InvitationService } from '../../services/invitationService'
import type { Mailer } from '../../services/mailer'
import type { UserAdminService } from '../../services/userAdminService'
import { apiTokenRoutes } from './apiTokens'
import { auditRoutes } from './audit'
import { invitationRoutes } from './invitations'
import { outboxRoutes } from './outbox'
import { userRoutes } from './users'

export interface AdminRouteDeps {
  db: Database
  invitations: InvitationService
  userAdmin: UserAdminService
  audit: AuditService
  mailer: Mailer
  apiTokens: ApiTokenService
}

/** The administration pages under /admin, one module per group of pages; each brings its own access rules. */
export function adminRoutes({ db, invitations, userAdmin, audit, mailer, apiTokens }: AdminRouteDeps) {
  const places = new PlaceData(db)
  const router = Router()
  router.use(invitationRoutes({ invitations, places }))
  router.use(userRoutes({ userAdmin, places }))
  router.use(outboxRoutes({ mailer }))
  router.use(auditRoutes({ audit, userAdmin }))
  router.use(apiTokenRoutes({ apiTokens }))
  return router
}
