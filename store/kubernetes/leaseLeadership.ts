import { V1MicroTime, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { describeError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { kubeStatus, toAegisError } from "../../tools/kubernetes/kubeErrors.ts";
import type { Leadership } from "../leadership.ts";

export interface LeaseLeadershipOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  /** This replica's name: the Lease's `holderIdentity` while it leads. */
  identity: string;
  /** `leaseDurationSeconds`: how long followers wait, after the Lease last changed, before taking it over. */
  durationSeconds: number;
  logger: Logger;
  /** Local monotonic-enough time in ms (tests may inject). */
  now?: () => number;
}

/**
 * Leadership by a `coordination.k8s.io/v1` Lease, as client-go's leader election does it:
 * - the leader renews `renewTime` every third of the duration, each write guarded by the resourceVersion it read
 *   (a 409 means another replica wrote first);
 * - a follower takes the Lease over when the record it observes has not changed for the whole duration, timed on
 *   its own clock from when it saw the change (no trust in the other replicas' clocks), or at once when it is
 *   released (no holder);
 * - a leader that has not renewed for two thirds of the duration (API server unreachable, throttled) steps down
 *   before any follower may take over, so two replicas never both believe they lead;
 * - stop() releases the Lease (empty holder), so a clean shutdown hands over without waiting.
 */
export class LeaseLeadership implements Leadership {
  readonly kind = "lease" as const;
  private leader = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private onChange: (leader: boolean) => void = () => undefined;
  /** The last record seen (resourceVersion) and when, on the local clock. */
  private observed: { rv: string; at: number } | undefined;
  /** When this replica last wrote the Lease as its holder. */
  private renewedAt = 0;
  private lastError: string | undefined;
  private readonly now: () => number;
  private readonly durationMs: number;

  constructor(private readonly opts: LeaseLeadershipOptions) {
    this.now = opts.now ?? Date.now;
    this.durationMs = opts.durationSeconds * 1000;
  }

  isLeader(): boolean {
    return this.leader;
  }

  async start(onChange: (leader: boolean) => void): Promise<void> {
    this.onChange = onChange;
    await this.tick();
    this.timer = setInterval(
      () => {
        this.ticking = this.ticking.then(() => this.tick());
      },
      Math.max(200, Math.floor(this.durationMs / 3)),
    );
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (this.leader) {
      this.set(false);
      await this.release().catch((err: unknown) =>
        this.opts.logger.warn({ lease: this.ref(), err: describeError(err) }, "lease not released"),
      );
    }
  }

  private ref(): string {
    return `${this.opts.namespace}/${this.opts.name}`;
  }

  private async tick(): Promise<void> {
    try {
      await this.contend();
      this.lastError = undefined;
    } catch (err) {
      const message = toAegisError(err, `Lease ${this.ref()}`, "reading or writing").message;
      // Logged when it changes, not every tick: a missing RBAC rule would otherwise flood the log.
      if (message !== this.lastError)
        this.opts.logger.warn(
          { lease: this.ref(), status: kubeStatus(err), err: message },
          "leader election: the Lease could not be read or written",
        );
      this.lastError = message;
    }
    if (this.leader && this.now() - this.renewedAt > (this.durationMs * 2) / 3) {
      this.opts.logger.warn({ lease: this.ref() }, "leader election: not renewed in time, stepping down");
      this.set(false);
    }
  }

  private async contend(): Promise<void> {
    const { api, namespace, name, identity } = this.opts;
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (kubeStatus(err) !== 404) throw err;
      const at = this.now();
      try {
        await api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { name, namespace },
            spec: this.spec(at, 0),
          },
        });
      } catch (e) {
        // 409: another replica created it first; the next tick reads it.
        if (kubeStatus(e) === 409) return;
        throw e;
      }
      this.renewedAt = at;
      this.set(true);
      return;
    }
    const rv = lease.metadata?.resourceVersion ?? "";
    const at = this.now();
    if (this.observed?.rv !== rv) this.observed = { rv, at };
    const holder = lease.spec?.holderIdentity ?? "";
    const lapsed = at - this.observed.at >= (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== identity && holder !== "" && !lapsed) {
      this.set(false);
      return;
    }
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    const spec =
      holder === identity
        ? { ...this.spec(at, transitions), acquireTime: lease.spec?.acquireTime ?? new V1MicroTime(at) }
        : this.spec(at, transitions);
    try {
      const written = await api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: { ...lease.spec, ...spec } },
      });
      this.observed = { rv: written.metadata?.resourceVersion ?? "", at };
    } catch (err) {
      // 409: someone else wrote the Lease since it was read (a follower took over, or won the race to).
      if (kubeStatus(err) === 409) {
        this.set(false);
        return;
      }
      throw err;
    }
    if (holder !== identity)
      this.opts.logger.info(
        { lease: this.ref(), previous: holder || null },
        "leader election: Lease acquired",
      );
    this.renewedAt = at;
    this.set(true);
  }

  private spec(at: number, transitions: number): NonNullable<V1Lease["spec"]> {
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: this.opts.durationSeconds,
      acquireTime: new V1MicroTime(at),
      renewTime: new V1MicroTime(at),
      leaseTransitions: transitions,
    };
  }

  /** Hands the Lease over at once: no holder, so a follower takes it at its next try. */
  private async release(): Promise<void> {
    const { api, namespace, name, identity } = this.opts;
    const lease = await api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== identity) return;
    await api.replaceNamespacedLease({
      name,
      namespace,
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 } },
    });
  }

  private set(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.onChange(leader);
  }
}
