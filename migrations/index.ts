import type { Knex } from 'knex'
import * as foundation from './20261122_001_foundation'
import * as accounts from './20261122_002_accounts'
import * as assessment from './20261122_003_assessment'
import * as placeReturns from './20261122_004_place_returns'
import * as jobs from './20261123_005_jobs'
import * as roundPublication from './20261201_006_round_publication'
import * as administration from './20261202_007_administration'
import * as apiTokens from './20261202_008_api_tokens'
import * as resultsVersions from './20261203_009_results_versions'
import * as invitationOrganisationIndex from './20261204_010_invitation_organisation_index'
import * as importConfirmation from './20261205_011_import_confirmation'
import * as outboxFailedIndex from './20261205_012_outbox_failed_index'
import * as resultsVersionsAtCommit from './20261206_013_results_versions_at_commit'
import * as frameworkVersionsLookupIndex from './20261207_014_framework_versions_lookup_index'
import * as auditCounts from './20261208_015_audit_counts'

/**
 * Every migration, in order. Listed explicitly (rather than read from the folder) so the
 * same list works under ts-jest, tsx and compiled JavaScript alike.
 */
export const migrations: ReadonlyArray<[name: string, migration: Knex.Migration]> = [
  ['20261122_001_foundation', foundation],
  ['20261122_002_accounts', accounts],
  ['20261122_003_assessment', assessment],
  ['20261122_004_place_returns', placeReturns],
  ['20261123_005_jobs', jobs],
  ['20261201_006_round_publication', roundPublication],
  ['20261202_007_administration', administration],
  ['20261202_008_api_tokens', apiTokens],
  ['20261203_009_results_versions', resultsVersions],
  ['20261204_010_invitation_organisation_index', invitationOrganisationIndex],
  ['20261205_011_import_confirmation', importConfirmation],
  ['20261205_012_outbox_failed_index', outboxFailedIndex],
  ['20261206_013_results_versions_at_commit', resultsVersionsAtCommit],
  ['20261207_014_framework_versions_lookup_index', frameworkVersionsLookupIndex],
  ['20261208_015_audit_counts', auditCounts],
]
