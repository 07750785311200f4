import { AsyncLocalStorage } from "node:async_hooks";
import { Command } from "@langchain/langgraph";
import { pollUntil, type Clock } from "../core/clock.ts";
import { describeError } from "../core/errors.ts";
import { createLogThrottle } from "../core/logThrottle.ts";
import type { Logger } from "../core/logger.ts";
import type { IncidentRepository } from "../store/incidentRepository.ts";
import type { WorkQueue } from "../store/workQueue.ts";
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
  /** Runs of one incident that may end with the process dying before it is quarantined (default 2). */
  maxCrashedRuns?: number;
  /**
   * Several replicas on one store: incidents come from the shared queue (claimed under a lease, renewed every
   * `heartbeatMs`, looked for every `pollMs`) instead of this process's own memory.
   */
  shared?: { queue: WorkQueue; pollMs: number; heartbeatMs: number };
  /** The clock the shutdown's bounded wait for runs in flight runs on (the agent's; the machine's by default). */
  clock?: Clock | undefined;
}

/** A run in flight: abort it when an error escapes it (see failStray). */
interface RunHandle {
  abort: AbortController;
  stray: (err: unknown) => void;
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
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pulling = false;
  /** Incidents whose lease another replica took over (this one stalled past it): their runs stop here. */
  private readonly lost = new Set<string>();
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private readonly log: Logger;
  /** The incident whose run the current async context belongs to (for errors that escape every handler). */
  private readonly context = new AsyncLocalStorage<string>();
  private readonly handles = new Map<string, RunHandle>();
  /** A storm overflows the queue once per alert: one line per 10 s says so. */
  private readonly throttle = createLogThrottle();

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
    const shared = this.options.shared;
    if (shared) {
      this.pollTimer = setInterval(() => void this.pull(), shared.pollMs);
      this.pollTimer.unref();
      this.heartbeatTimer = setInterval(() => void this.heartbeat(), shared.heartbeatMs);
      this.heartbeatTimer.unref();
    }
  }

  /** Queue incidents for the agent. Never blocks and never throws: overflow waits for the sweep. */
  enqueue(ids: readonly string[]): void {
    // Shared store: the incidents are in the shared queue already (ingest put them there); claim what fits.
    if (this.options.shared) {
      if (ids.length > 0) void this.pull();
      return;
    }
    for (const id of ids) {
      if (this.stopping || this.queued.has(id) || this.inFlight.has(id)) continue;
      if (this.queue.length >= this.options.queueSize) {
        this.throttle("queue full", (suppressed) =>
          this.log.warn(
            { incident: id, queueSize: this.options.queueSize, suppressed },
            suppressed > 0
              ? `agent queue full; the incident waits for the next sweep (and ${suppressed} more in the last 10 s)`
              : "agent queue full; the incident waits for the next sweep",
          ),
        );
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
    const shared = this.options.shared;
    if (shared && !(await shared.queue.claimOne(id).catch(() => false))) {
      this.log.warn(
        { incident: id },
        "another replica holds this incident; the approval is not resumed here",
      );
      return;
    }
    this.inFlight.add(id);
    try {
      await this.guarded(id, (signal) =>
        this.graph.invoke(new Command({ resume: answer }), { configurable: { thread_id: id }, signal }),
      );
    } finally {
      this.inFlight.delete(id);
      await this.release(id);
      this.runEnded(id);
      this.pump();
    }
  }

  /**
   * An error escaped every handler (an `error` event nobody listens to, a rejection nobody awaits). When it
   * arose inside an incident's run, that run is aborted and the incident escalated with the error; the
   * process goes on. Returns the incident it was charged to, if any.
   */
  failStray(err: unknown): string | undefined {
    const id = this.context.getStore();
    const handle = id ? this.handles.get(id) : undefined;
    if (!id || !handle) return undefined;
    handle.stray(err);
    return id;
  }

  /** Stop taking work and wait (bounded) for runs in flight. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await pollUntil(
      async () => this.inFlight.size,
      (running) => running === 0,
      { timeoutMs, intervalMs: 50, clock: this.options.clock },
    );
    // Runs cut short by a shutdown did not crash the process: they do not count towards quarantine.
    for (const id of this.inFlight) {
      await this.incidents.endRun(id).catch(() => undefined);
    }
    // Another replica picks these up at once instead of waiting for the leases to lapse.
    await this.options.shared?.queue.abandon([...this.inFlight, ...this.queue]).catch(() => undefined);
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
    const shared = this.options.shared;
    if (shared) {
      try {
        const requeued = await shared.queue.requeueOrphans();
        if (requeued > 0) this.log.info({ requeued }, "queued unfinished incidents that had no queue entry");
      } catch (err) {
        this.log.error({ err: describeError(err) }, "sweep for unfinished incidents failed");
      }
      await this.pull();
      return;
    }
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

  /** Claim from the shared queue as many incidents as there are free workers. */
  private async pull(): Promise<void> {
    const shared = this.options.shared;
    if (!shared || this.pulling || this.stopping) return;
    this.pulling = true;
    try {
      const free = this.options.workers - this.inFlight.size - this.queue.length;
      for (const id of await shared.queue.claim(free)) {
        if (this.queued.has(id) || this.inFlight.has(id)) continue;
        this.queue.push(id);
        this.queued.add(id);
      }
    } catch (err) {
      this.throttle("claim failed", () =>
        this.log.error({ err: describeError(err) }, "could not claim work from the shared queue"),
      );
    } finally {
      this.pulling = false;
    }
    this.pump();
  }

  /** Renew the leases of what this replica holds; stop what another replica took over. */
  private async heartbeat(): Promise<void> {
    const shared = this.options.shared!;
    const held = [...this.inFlight, ...this.queue];
    let kept: Set<string>;
    try {
      kept = new Set(await shared.queue.renew(held));
    } catch (err) {
      this.log.error({ err: describeError(err) }, "could not renew work leases");
      return;
    }
    for (const id of held) {
      if (kept.has(id)) continue;
      this.log.warn({ incident: id }, "lease on the incident lost to another replica; stopping its run here");
      if (this.queued.delete(id)) this.queue.splice(this.queue.indexOf(id), 1);
      if (this.inFlight.has(id)) {
        this.lost.add(id);
        this.handles.get(id)?.stray(new Error("work lease lost to another replica"));
      }
    }
  }

  /** Shared store: the run ended here, so its queue entry goes (unless another replica took it over). */
  private async release(id: string): Promise<void> {
    const shared = this.options.shared;
    if (!shared || this.lost.has(id)) return;
    await shared.queue
      .done(id)
      .catch((err: unknown) =>
        this.log.error(
          { incident: id, err: describeError(err) },
          "could not remove the finished queue entry",
        ),
      );
  }

  private pump(): void {
    while (!this.stopping && this.inFlight.size < this.options.workers && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.queued.delete(id);
      this.inFlight.add(id);
      void this.run(id).finally(async () => {
        await this.release(id);
        this.lost.delete(id);
        this.inFlight.delete(id);
        this.runEnded(id);
        this.pump();
        void this.pull();
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
    await this.guarded(id, async (signal) => {
      const snapshot = await this.graph.getState(config);
      if (snapshot.tasks.some((t) => t.interrupts.length > 0)) return; // waiting for a person
      if (snapshot.next.length > 0) {
        this.log.info({ incident: id, next: snapshot.next }, "resuming incident from checkpoint");
        await this.graph.invoke(null, { ...config, signal });
        return;
      }
      // Up to the guard the run only reads the world and writes the incident's own record, so its steps are
      // checkpointed once, where that part ends, not after each node: an incident escalated or dismissed there
      // (most of a storm) costs one checkpoint instead of one per step. A crash in that part starts the
      // incident over, which re-reads and decides again; nothing was sent yet. From the guard on (approval,
      // action, verification) every step is checkpointed, so a resume continues where the run stopped.
      await this.graph.invoke(
        { incidentId: id },
        { ...config, signal, durability: "exit", interruptBefore: ["guard"] },
      );
      const paused = await this.graph.getState(config);
      if (paused.next.includes("guard") && !paused.tasks.some((t) => t.interrupts.length > 0))
        await this.graph.invoke(null, { ...config, signal });
    });
  }

  /**
   * Run one piece of an incident's graph: counted as started until it ends (a run that kills the process
   * twice is quarantined instead of killing it a third time), inside the incident's async context (so a
   * stray error is charged to it), and any failure escalates the incident rather than leaving it hanging.
   */
  private async guarded(id: string, body: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const maxCrashed = this.options.maxCrashedRuns ?? 2;
    try {
      const crashed = await this.incidents.beginRun(id);
      if (crashed >= maxCrashed) {
        const reason =
          `quarantined: ${crashed} earlier runs of this incident ended with the responder's process dying; ` +
          "it is not run again (read the logs of those runs; a new alert opens a new incident)";
        this.log.error({ incident: id, crashedRuns: crashed }, reason);
        await this.incidents.setStatus(id, "quarantined", reason, { step: "quarantined", message: reason });
        await this.incidents.endRun(id);
        return;
      }
    } catch (err) {
      this.log.error({ incident: id, err: describeError(err) }, "could not count the run; running it anyway");
    }
    const abort = new AbortController();
    let onStray: (err: unknown) => void = () => undefined;
    const stray = new Promise<never>((_resolve, reject) => {
      onStray = (err) => {
        abort.abort(err);
        reject(err instanceof Error ? err : new Error(String(err)));
      };
    });
    stray.catch(() => undefined);
    this.handles.set(id, { abort, stray: onStray });
    try {
      await this.context.run(id, () => Promise.race([body(abort.signal), stray]));
    } catch (err) {
      if (this.lost.has(id)) return; // another replica works it now: nothing to record here
      // A bug or an unreachable dependency: hand the incident to people rather than leave it hanging.
      const reason = `internal error: ${describeError(err)}`;
      this.log.error({ incident: id, err: describeError(err) }, "incident run failed");
      try {
        await this.incidents.setStatus(id, "escalated", reason, { step: "escalated", message: reason });
      } catch (inner) {
        this.log.error({ incident: id, err: describeError(inner) }, "could not record the failure");
      }
    } finally {
      this.handles.delete(id);
      if (!this.lost.has(id)) await this.incidents.endRun(id).catch(() => undefined);
    }
  }
}
