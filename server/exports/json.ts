/**
 * A whole round as one JSON document, streamed: the round, its framework version, every place's
 * results (in the API's shapes, so one description fits both) and every partner organisation's
 * answers, written an organisation at a time at the pace of the reader.
 */
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { closedEarly, drained } from './drained'

export interface RoundDocument {
  /** Small parts, written whole. */
  head: Record<string, unknown>
  /** The large part, written one item at a time under this key. */
  itemsKey: string
  items: AsyncIterable<unknown>
}

async function write(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw new Error(closedEarly)
  if (!out.write(text)) await drained(out)
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
  await finished(out)
}
