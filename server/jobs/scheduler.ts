import { randomBytes } from 'node:crypto'
import os from 'node:os'
import type { AppConfig } from '../config'
import type { Database } from '../db/connection'
import type { Logger } from '../logger'
import type { Services } from '../services'
import { LeaseStore } from '../data/leases'

export interface ScheduledJob {
  /** Also the name of its lease: one instance at a time runs it. */
  name: string
  /** `log` names the job and the scheduler's holder. */
  run(log: Logger): Promise<unknown>
}

export interface SchedulerOptions {
  leases: LeaseStore
  jobs: ScheduledJob[]
  /** Time between the end of one tick and the start of the next. */
  intervalMs: number
  /**
   * How long a lease lasts unless renewed. The holder renews it every tick, so it keeps the
   * job while it lives; when it dies, another instance takes over once this has passed.
   * Default: twice the interval.
   */
  leaseTtlMs?: number
  /** When the first tick runs after start(). Default: the interval, at most 10 seconds. */
  firstTickMs?: number
  logger: Logger
  /** Identifies this scheduler in job_leases. Default: host, process id and a random part. */
  holder?: string
}

export function defaultHolder(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`
}

/**
 * Runs background jobs on every instance without running them on every instance: each tick
 * takes (or renews) each job's lease in the database and runs the job only while it holds
 * the lease. Ticks never overlap; the timer does not keep the process alive; stop() waits
 * for a tick in progress and gives the leases up, so a graceful shutdown hands the jobs
 * straight to another instance.
 *
 * A lease keeps duplicate work down; it is not what makes a job correct. A job that outlives
 * its lease may overlap with the next holder's run, so every job must be safe to run twice
 * (the reminder job is: each reminder is recorded once, in the transaction that queues it).
 */
export class Scheduler {
  readonly holder: string
  private readonly leaseTtlMs: number
  private timer: NodeJS.Timeout | undefined
  private current: Promise<string[]> | undefined
  private stopped = false

  constructor(private readonly options: SchedulerOptions) {
    this.holder = options.holder ?? defaultHolder()
    this.leaseTtlMs = options.leaseTtlMs ?? 2 * options.intervalMs
  }

  start(): void {
    if (this.stopped || this.timer) return
    this.schedule(this.options.firstTickMs ?? Math.min(this.options.intervalMs, 10_000))
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.tick().finally(() => this.schedule(this.options.intervalMs))
    }, delayMs)
    this.timer.unref()
  }

  /** One round of every job whose lease this scheduler holds or can take; resolves with the names of those it ran. */
  tick(): Promise<string[]> {
    this.current ??= this.runJobs().finally(() => (this.current = undefined))
    return this.current
  }

  private async runJobs(): Promise<string[]> {
    const ran: string[] = []
    for (const job of this.options.jobs) {
      if (this.stopped) break
      const log = this.options.logger.child({ job: job.name, holder: this.holder })
      let held: boolean
      try {
        held = await this.options.leases.acquire(job.name, this.holder, this.leaseTtlMs)
      } catch (error) {
        log.error({ err: error }, 'Could not take the job lease')
        continue
      }
      if (!held) continue
      try {
        await job.run(log)
        ran.push(job.name)
      } catch (error) {
        log.error({ err: error }, 'Job failed')
      }
    }
    return ran
  }

  /** Stops the timer, lets a tick in progress finish, and releases this scheduler's leases. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    await this.current
    for (const job of this.options.jobs) {
      try {
        await this.options.leases.release(job.name, this.holder)
      } catch (error) {
        this.options.logger.warn({ err: error, job: job.name }, 'Could not release the job lease')
      }
    }
  }
}

/**
 * The background jobs of a serving process (a single instance or a cluster worker), started
 * by server/main.ts and stopped by its graceful shutdown; undefined when REMINDER_INTERVAL_SECONDS=0.
 */
export function startBackgroundJobs(config: AppConfig, db: Database, services: Services, logger: Logger): Scheduler | undefined {
  if (config.reminderIntervalSeconds === 0) return undefined
  const scheduler = new Scheduler({
    leases: new LeaseStore(db, services.clock),
    jobs: [
      { name: 'reminders', run: (log) => services.reminders.run(log) },
      // Mail that reached the outbox but failed over SMTP, tried again with back-off.
      { name: 'mail-retry', run: () => services.mailer.retryDue() },
    ],
    intervalMs: config.reminderIntervalSeconds * 1000,
    logger,
  })
  scheduler.start()
  return scheduler
}
