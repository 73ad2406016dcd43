import { tokenReader } from '../auth/apiClient'
import { writePdf } from '../reports/renderPdf'
import type { ReportService } from '../services/reportService'
import type { ApiReports } from './endpoints'

/** The board reports (server/reports) for API clients: the same documents people download, read with the token's scope. */
export function apiReports(reports: ReportService): ApiReports {
  return {
    async placeReport(client, roundId, placeId) {
      const report = await reports.placeReport(tokenReader(client), roundId, placeId)
      return { fileName: report.fileName, write: (out) => writePdf(report.document, out) }
    },
    async systemReport(client, roundId) {
      const report = await reports.systemReport(tokenReader(client), roundId)
      return { fileName: report.fileName, write: (out) => writePdf(report.document, out) }
    },
  }
}
