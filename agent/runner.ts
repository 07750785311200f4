import { Command } from "@langchain/langgraph";
import { describeError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import type { IncidentGraph } from "./graph.ts";
import type { ApprovalAnswer } from "./nodes/approve.ts";

export interface RunnerOptions {
  workers: number;
  /** Bounded in-memory queue; incidents that do not fit are picked up by the sweep (they are in the db). */
  queueSize: number;
  /** How often to look for unfinished incidents nobody is working on. */
  sweepIntervalMs: number;
  /** Called with the incident's id each time a run of it ends (finished, paused for approval or failed). */
  onRunEnd?: (id: string) => void;
}

/**
 * Works incidents off the request path: a bounded queue, a fixed number of workers, one run per incident
 * at a time. On start it resumes every unfinished incident from its checkpoint.
 */
export class IncidentRunner {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;

  constructor(
    private readonly graph: IncidentGraph,
    private readonly incidents: IncidentRepository,
    logger: Logger,
    private readonly options: RunnerOptions,
  ) {
    this.log = logger.child({ module: "runner" });
  }

  /** Resume unfinished incidents and start sweeping. */
  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Queue incidents for the agent. Never blocks and never throws: overflow waits for the sweep. */
  enqueue(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.stopping || this.queued.has(id) || this.inFlight.has(id)) continue;
      if (this.queue.length >= this.options.queueSize) {
        this.log.warn({ incident: id }, "agent queue full; the incident waits for the next sweep");
        continue;
      }
      this.queue.push(id);
      this.queued.add(id);
    }
    this.pump();
  }

  /** Resume a run paused for approval with a person's answer. */
  async resumeWithApproval(id: string, answer: ApprovalAnswer): Promise<void> {
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    try {
      await this.graph.invoke(new Command({ resume: answer }), { configurable: { thread_id: id } });
    } finally {
      this.inFlight.delete(id);
      this.runEnded(id);
      this.pump();
    }
  }

  /** Stop taking work and wait (bounded) for runs in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** How many incidents wait in the queue and how many runs are in flight (for metrics). */
  stats(): { queued: number; inFlight: number } {
    return { queued: this.queue.length, inFlight: this.inFlight.size };
  }

  /** Resolves when nothing is queued or running (tests and benchmarks). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async sweep(): Promise<void> {
    try {
      const ids = await this.incidents.listUnfinished();
      const waiting = [];
      for (const id of ids) {
        const incident = await this.incidents.get(id);
        if (incident && incident.status !== "awaiting_approval") waiting.push(id);
      }
      this.enqueue(waiting);
    } catch (err) {
      this.log.error({ err: describeError(err) }, "sweep for unfinished incidents failed");
    }
  }

  private pump(): void {
    while (!this.stopping && this.inFlight.size < this.options.workers && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.queued.delete(id);
      this.inFlight.add(id);
      void this.run(id).finally(() => {
        this.inFlight.delete(id);
        this.runEnded(id);
        this.pump();
        if (this.queue.length === 0 && this.inFlight.size === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private runEnded(id: string): void {
    try {
      this.options.onRunEnd?.(id);
    } catch (err) {
      this.log.error({ incident: id, err: describeError(err) }, "run-end hook failed");
    }
  }

  private async run(id: string): Promise<void> {
    const config = { configurable: { thread_id: id } };
    try {
      const snapshot = await this.graph.getState(config);
      if (snapshot.tasks.some((t) => t.interrupts.length > 0)) return; // waiting for a person
      const input = snapshot.next.length > 0 ? null : { incidentId: id };
      if (input === null)
        this.log.info({ incident: id, next: snapshot.next }, "resuming incident from checkpoint");
      await this.graph.invoke(input, config);
    } catch (err) {
      // A bug or an unreachable dependency: hand the incident to people rather than leave it hanging.
      const reason = `internal error: ${describeError(err)}`;
      this.log.error({ incident: id, err: describeError(err) }, "incident run failed");
      try {
        await this.incidents.setStatus(id, "escalated", reason, { step: "escalated", message: reason });
      } catch (inner) {
        this.log.error({ incident: id, err: describeError(inner) }, "could not record the failure");
      }
    }
  }
}
