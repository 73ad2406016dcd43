import { z } from 'zod'
import { ticked } from './fields'

/**
 * Submitting a self-assessment: the declaration. Whether it may be submitted (every domain
 * complete, the round open) is the service's rule, so an unticked box is reported with those.
 */
export const submissionForm = z.object({ declaration: ticked('yes') })
