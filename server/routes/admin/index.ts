import { Router } from 'express'
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
  invitations: InvitationService
  userAdmin: UserAdminService
  audit: AuditService
  mailer: Mailer
  apiTokens: ApiTokenService
}

/** The administration pages under /admin, one module per group of pages; each brings its own access rules. */
export function adminRoutes({ invitations, userAdmin, audit, mailer, apiTokens }: AdminRouteDeps) {
  const router = Router()
  router.use(invitationRoutes({ invitations }))
  router.use(userRoutes({ userAdmin }))
  router.use(outboxRoutes({ mailer }))
  router.use(auditRoutes({ audit, userAdmin }))
  router.use(apiTokenRoutes({ apiTokens }))
  return router
}
