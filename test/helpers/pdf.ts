import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'

/**
 * Reads PDFs back with poppler (pdftotext, pdfinfo, pdffonts; installed by .ci/run), as a
 * person's PDF reader and assistive technology would, so tests check the file itself.
 */

export interface ParsedPdf {
  /** pdftotext's text, page by page (split on form feeds). */
  pages: string[]
  text: string
  info: Record<string, string>
  fonts: Array<{ name: string; type: string; embedded: boolean }>
  /** pdfinfo -struct-text as a tree. */
  structure: StructNode
  /** Every word with its box in points from the top left, page by page (pdftotext -bbox). */
  words: Word[][]
}

export interface Word {
  text: string
  x: number
  y: number
  width: number
  height: number
}

export interface StructNode {
  type: string
  /** Attribute lines such as "/Scope /Column". */
  attributes: string[]
  /** Text content directly inside this element. */
  text: string
  children: StructNode[]
}

function poppler(tool: string, args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
}

/** Parses `pdfinfo -struct-text` output: two spaces of indent per level, text in quotes. */
export function parseStructure(output: string): StructNode {
  const root: StructNode = { type: 'StructTreeRoot', attributes: [], text: '', children: [] }
  const stack: Array<{ depth: number; node: StructNode }> = [{ depth: -1, node: root }]
  for (const line of output.split('\n')) {
    if (!line.trim()) continue
    const depth = line.length - line.trimStart().length
    const content = line.trim()
    // Attribute and text lines are indented under their element; a line as shallow as an open element closes it.
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop()
    const parent = stack[stack.length - 1]!.node
    if (content.startsWith('"')) {
      parent.text += content.slice(1, content.endsWith('"') ? -1 : undefined)
    } else if (content.startsWith('/')) {
      parent.attributes.push(content)
    } else {
      const node: StructNode = { type: content.replace(/[: ].*$/, ''), attributes: [], text: '', children: [] }
      parent.children.push(node)
      stack.push({ depth, node })
    }
  }
  return root
}

/** Every element of the tree in reading (depth-first) order. */
export function walk(node: StructNode): StructNode[] {
  return [node, ...node.children.flatMap(walk)]
}

/** All the text inside an element and its descendants. */
export function textOf(node: StructNode): string {
  return [node.text, ...node.children.map(textOf)].join(' ').replace(/\s+/g, ' ').trim()
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

export function parsePdf(pdf: Buffer): ParsedPdf {
  const folder = mkdtempSync(path.join(tmpdir(), 'placeready-pdf-'))
  try {
    const file = path.join(folder, 'report.pdf')
    writeFileSync(file, pdf)
    const text = poppler('pdftotext', ['-enc', 'UTF-8', file, '-'])
    const info = Object.fromEntries(
      poppler('pdfinfo', [file])
        .split('\n')
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
    )
    const fonts = poppler('pdffonts', [file])
      .split('\n')
      .slice(2)
      .filter((l) => l.trim())
      .map((l) => {
        const columns = l.trim().split(/\s+/)
        // name, then type (one or two words), encoding, then emb sub uni and the object id.
        const [emb] = columns.slice(-5, -4)
        return { name: columns[0]!, type: columns.slice(1, -6).join(' '), embedded: emb === 'yes' }
      })
    const structure = parseStructure(poppler('pdfinfo', ['-struct-text', file]))
    const pages = text.split('\f').slice(0, -1)
    const words = poppler('pdftotext', ['-enc', 'UTF-8', '-bbox', file, '-'])
      .split('<page ')
      .slice(1)
      .map((page) =>
        [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
          text: unescapeXml(m[5]!),
          x: Number(m[1]),
          y: Number(m[2]),
          width: Number(m[3]) - Number(m[1]),
          height: Number(m[4]) - Number(m[2]),
        })),
      )
    return { pages, text, info, fonts, structure, words }
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

/** A Writable that keeps what is written, for rendering a report in memory. */
export function collector(): { stream: Writable; buffer: () => Buffer } {
  const chunks: Buffer[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  return { stream, buffer: () => Buffer.concat(chunks) }
}
