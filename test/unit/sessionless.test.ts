import type { Request } from 'express'
import { needsNoSession, sessionCookieName } from '../../server/auth/session'

const request = (method: string, path: string, cookie?: string) =>
  ({ method, path, headers: cookie ? { cookie } : {} }) as unknown as Request

describe('needsNoSession: which requests are served without a session', () => {
  it('serves public pages read without a session cookie with none', () => {
    for (const path of ['/', '/framework', '/schemas/framework.json', '/developers/api']) {
      expect(needsNoSession(request('GET', path))).toBe(true)
      expect(needsNoSession(request('HEAD', path))).toBe(true)
    }
    expect(needsNoSession(request('GET', '/framework', 'theme=dark'))).toBe(true)
  })

  it('gives everyone with a session cookie, every form post and every other page their session', () => {
    expect(needsNoSession(request('GET', '/framework', `theme=dark; ${sessionCookieName}=s%3Aabc`))).toBe(false)
    expect(needsNoSession(request('POST', '/framework'))).toBe(false)
    for (const path of ['/sign-in', '/home', '/rounds/1/dashboard', '/invitations/abc', '/framework/x'])
      expect(needsNoSession(request('GET', path))).toBe(false)
  })
})
