import type { Writable } from 'node:stream'

export const closedEarly = 'The download was closed before it finished'

/**
 * Resolves when `out` can take more, and rejects if it closes first: a reader that goes away
 * (a cancelled download) never emits 'drain', so waiting for that alone would wait forever,
 * keeping the export's rows and its database reads alive with it.
 */
export function drained(out: Writable): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error(closedEarly))
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      out.off('close', onClose)
      resolve()
    }
    const onClose = () => {
      out.off('drain', onDrain)
      reject(new Error(closedEarly))
    }
    out.once('drain', onDrain)
    out.once('close', onClose)
  })
}
