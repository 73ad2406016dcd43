import type http from 'node:http'
import type { Express } from 'express'
import request from 'supertest'
import type TestAgent from 'supertest/lib/agent'

export type Agent = TestAgent

/** The CSRF token in a page's form. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('No CSRF token on the page')
  return match[1]!
}

/** A browser-like agent (it keeps cookies) that has signed in through the real sign-in form, on the app or a server serving it. */
export async function signIn(app: Express | http.Server, email: string, password: string): Promise<Agent> {
  const agent = request.agent(app)
  const page = await agent.get('/sign-in')
  const response = await agent
    .post('/sign-in')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  if (response.status !== 303 || response.headers.location !== '/home') {
    throw new Error(`Sign-in as ${email} failed with ${response.status}: ${response.text.slice(0, 200)}`)
  }
  return agent
}

/** Gets a page and posts its form back with the given fields (the CSRF token added). */
export async function submitForm(agent: Agent, pagePath: string, action: string, fields: Record<string, string>) {
  const page = await agent.get(pagePath)
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...fields })
}

/** The text of the error summary's items, in order. */
export function errorSummaryOf(html: string): string[] {
  const summary = /<div class="nhsuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? ''
  return [...summary.matchAll(/<a href="#[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]!)
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)
}

/**
 * The fields a browser would send for the first form on a page (with `data-autosave`, the
 * answer form): hidden inputs, text inputs, checked radios, textareas and selected options.
 */
export function formFieldsOf(html: string, formSelector = '<form'): Record<string, string> {
  const start = html.indexOf(formSelector)
  const form = start >= 0 ? html.slice(start, html.indexOf('</form>', start)) : ''
  const fields: Record<string, string> = {}
  for (const tag of form.match(/<input [^>]*>/g) ?? []) {
    const name = /name="([^"]+)"/.exec(tag)?.[1]
    const type = /type="([^"]+)"/.exec(tag)?.[1] ?? 'text'
    const value = decodeEntities(/value="([^"]*)"/.exec(tag)?.[1] ?? '')
    if (!name) continue
    if ((type === 'radio' || type === 'checkbox') && !/\schecked/.test(tag)) continue
    fields[name] = value
  }
  for (const match of form.matchAll(/<textarea [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/textarea>/g))
    fields[match[1]!] = decodeEntities(match[2]!)
  for (const match of form.matchAll(/<select [^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    fields[match[1]!] = decodeEntities(/<option value="([^"]*)" selected>/.exec(match[2]!)?.[1] ?? '')
  }
  return fields
}
