import { z } from 'zod'
import { calendarDate, joinDateParts, requiredText } from './fields'

const reason = (missing: string) => requiredText({ missing, label: 'Reason', max: 1000 })

/** The ICS lead extends a round's deadline: the new day (it ends at 5pm London time) and why. */
export const extendRoundForm = z.preprocess(
  (body) => joinDateParts(body, 'until'),
  z.object({ until: calendarDate('Enter the new deadline as a real date'), reason: reason('Enter the reason') }),
)

export const extendRoundFieldIds = { until: 'until-day' }

/** The ICS lead reopens a submitted self-assessment, saying why. */
export const reopenResponseForm = z.object({ reason: reason('Enter the reason for reopening') })
