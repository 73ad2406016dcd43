import { Router } from 'express'
import type { ApiTokenService } from '../../services/apiTokenService'
import type { AuditService } from '../../services/auditService'
import type { FrameworkService } from '../../services/frameworkService'
import type { ImportService } from '../../services/importService'
import type { InvitationService } from '../../services/invitationService'
import type { Mailer } from '../../services/mailer'
import type { PlaceAdminService } from '../../services/placeAdminService'
import type { UserAdminService } from '../../services/userAdminService'
import { apiTokenRoutes } from './apiTokens'
import { auditRoutes } from './audit'
import { frameworkAdminRoutes } from './frameworks'
import { importRoutes } from './imports'
import { invitationRoutes } from './invitations'
import { outboxRoutes } from './outbox'
import { placeAdminRoutes } from './places'
import { userRoutes } from './users'

export interface AdminRouteDeps {
  invitations: InvitationService
  userAdmin: UserAdminService
  audit: AuditService
  mailer: Mailer
  apiTokens: ApiTokenService
  placeAdmin: PlaceAdminService
  imports: ImportService
  frameworks: FrameworkService
}

/** The administration pages under /admin, one module per group of pages; each brings its own access rules. */
export function adminRoutes({ invitations, userAdmin, audit, mailer, apiTokens, placeAdmin, imports, frameworks }: AdminRouteDeps) {
  const router = Router()
  router.use(invitationRoutes({ invitations }))
  router.use(userRoutes({ userAdmin }))
  router.use(outboxRoutes({ mailer }))
  router.use(auditRoutes({ audit, userAdmin }))
  router.use(apiTokenRoutes({ apiTokens }))
  router.use(placeAdminRoutes({ places: placeAdmin, invitations }))
  router.use(importRoutes({ imports }))
  router.use(frameworkAdminRoutes({ frameworks }))
  return router
}
