/**
 * A whole round as one JSON document, streamed: the round, its framework version, every place's
 * results (in the API's shapes, so one description fits both) and every partner organisation's
 * answers, written an organisation at a time at the pace of the reader.
 */
import { once } from 'node:events'
import type { Writable } from 'node:stream'

export interface RoundDocument {
  /** Small parts, written whole. */
  head: Record<string, unknown>
  /** The large part, written one item at a time under this key. */
  itemsKey: string
  items: AsyncIterable<unknown>
}

async function write(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw new Error('The download was closed before it finished')
  if (!out.write(text)) await once(out, 'drain')
}

export async function writeJsonDocument(out: Writable, document: RoundDocument): Promise<void> {
  const head = JSON.stringify(document.head)
  await write(out, `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(document.itemsKey)}:[`)
  let first = true
  for await (const item of document.items) {
    await write(out, `${first ? '' : ','}\n${JSON.stringify(item)}`)
    first = false
  }
  await write(out, ']}\n')
  out.end()
  if (!out.writableFinished) await once(out, 'finish')
}
