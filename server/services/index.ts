import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import type { Logger } from '../logger'
import { FrameworkService } from './frameworkService'

export interface Services {
  frameworks: FrameworkService
}

export function createServices(db: Database, _config: AppConfig, _logger: Logger): Services {
  return {
    frameworks: new FrameworkService(db),
  }
}
