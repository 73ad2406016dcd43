import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core'

/** Debian's Chromium by default; CHROMIUM_PATH points at another build. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** The desktop viewport every page is first seen at. */
export const desktopViewport = { width: 1280, height: 800 }

/** Reports every Content Security Policy violation to the console, where the monitor sees it. */
function reportCspViolations() {
  document.addEventListener('securitypolicyviolation', (event) => {
    console.error(
      `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'an inline script or style'}` +
        (event.sourceFile ? ` (${event.sourceFile}:${event.lineNumber})` : ''),
    )
  })
}

interface SeenMessage {
  type: string
  text: string
  url: string
  pageUrl: string
}

const monitors = new WeakMap<Page, PageMonitor>()

/**
 * Watches a page for console errors and warnings, uncaught exceptions and CSP violations.
 * The one thing it lets pass is Chromium's "Failed to load resource: the server responded with
 * a status of 4xx" for a main-document response that really had that status: a page that
 * answers a validation error with 400 or a wrong password with 401 is working as intended.
 */
export class PageMonitor {
  private readonly messages: SeenMessage[] = []
  private readonly uncaught: string[] = []
  /** Status of every main-frame document response, by URL. */
  private readonly documentStatuses = new Map<string, Set<number>>()
  /** Every main-frame document response, in order, redirects included. */
  readonly documentResponses: Array<{ url: string; status: number }> = []
  /** How many times the main frame has committed a navigation. */
  navigations = 0

  constructor(private readonly page: Page) {
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
        const statuses = this.documentStatuses.get(response.url()) ?? new Set<number>()
        statuses.add(response.status())
        this.documentStatuses.set(response.url(), statuses)
        this.documentResponses.push({ url: response.url(), status: response.status() })
      }
    })
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) this.navigations++
    })
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        this.messages.push({ type: message.type(), text: message.text(), url: message.location().url, pageUrl: page.url() })
      }
    })
    page.on('pageerror', (error) => this.uncaught.push(`Uncaught ${error.name}: ${error.message} on ${page.url()}`))
    monitors.set(page, this)
  }

  private expected(message: SeenMessage): boolean {
    const match = /^Failed to load resource: the server responded with a status of (\d{3})\b/.exec(message.text)
    if (!match || message.type !== 'error') return false
    const status = Number(match[1])
    return status >= 400 && status < 500 && (this.documentStatuses.get(message.url)?.has(status) ?? false)
  }

  /** Everything wrong so far, as readable lines. */
  problems(): string[] {
    return [
      ...this.uncaught,
      ...this.messages
        .filter((m) => !this.expected(m))
        .map((m) => `Console ${m.type} on ${m.pageUrl}: ${m.text}${m.url ? ` (from ${m.url})` : ''}`),
    ]
  }

  /** Throws if anything went wrong on the page so far. */
  assertClean(): void {
    const problems = this.problems()
    if (problems.length > 0) throw new Error(`Problems in the browser:\n - ${problems.join('\n - ')}`)
  }

  /** How many console messages were let pass as intended 4xx document responses. */
  expectedMessageCount(): number {
    return this.messages.filter((m) => this.expected(m)).length
  }

  /** Forgets what was seen: for tests that plant faults on purpose and have checked they were caught. */
  clear(): void {
    this.messages.length = 0
    this.uncaught.length = 0
  }
}

export function monitorOf(page: Page): PageMonitor | undefined {
  return monitors.get(page)
}

export interface Session {
  context: BrowserContext
  page: Page
  monitor: PageMonitor
  close(): Promise<void>
}

/** A fresh browser profile (its own cookies) with one monitored page. */
export async function openSession(browser: Browser, baseUrl: string, options: { javaScriptEnabled?: boolean } = {}): Promise<Session> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: desktopViewport,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  })
  context.setDefaultTimeout(15_000)
  await context.addInitScript(reportCspViolations)
  const page = await context.newPage()
  const monitor = new PageMonitor(page)
  return { context, page, monitor, close: () => context.close() }
}
