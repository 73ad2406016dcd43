import { z } from 'zod'
import { deadlineOn } from '../time/london'
import { calendarDate, joinDateParts, requiredText } from './fields'

const reason = (missing: string) => requiredText({ missing, label: 'Reason', max: 1000 })

/** The ICS lead extends a round's deadline: the new day, read as the moment it ends (5pm London time), and why. */
export const extendRoundForm = z.preprocess(
  (body) => joinDateParts(body, 'until'),
  z.object({ until: calendarDate('Enter the new deadline as a real date').transform(deadlineOn), reason: reason('Enter the reason') }),
)

export const extendRoundFieldIds = { until: 'until-day' }

/** The ICS lead reopens a submitted self-assessment, saying why. */
export const reopenResponseForm = z.object({ reason: reason('Enter the reason for reopening') })
