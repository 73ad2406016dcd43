import { z } from 'zod'
import { ticked } from './fields'

/**
 * Publishing a round's results: the ICS lead's confirmation. Whether they may be published yet
 * (the round has closed) is the service's rule, so an unticked box is reported with it.
 */
export const publishResultsForm = z.object({ confirm: ticked('yes') })
