import { createHash } from "node:crypto";
import type { Clock } from "./clock.ts";
import { rfc3339 } from "./clock.ts";
import { resourceOf } from "./resources.ts";
import type { Store } from "./store.ts";
import type { KubeEvent, KubeObject } from "./types.ts";

/** Records core/v1 Events like the real components do: repeats of one (object, reason, message) bump `count`. */
export class EventRecorder {
  /** Event name per (object uid, reason, message), for counting repeats. */
  private readonly names = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Records an event about `obj`, as `component` (on `host` for the kubelet). */
  record(
    obj: KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): void {
    const res = resourceOf("Event");
    const ns = obj.metadata.namespace ?? "default";
    const key = createHash("sha1").update(`${obj.metadata.uid}|${reason}|${message}`).digest("hex");
    const known = this.names.get(key);
    const now = rfc3339(this.clock.now());
    const existing = known ? (this.store.peek(res, ns, known) as KubeEvent | undefined) : undefined;
    if (existing) {
      this.store.update(res, {
        ...existing,
        count: existing.count + 1,
        lastTimestamp: now,
        metadata: { ...existing.metadata, resourceVersion: undefined },
      });
      return;
    }
    if (!this.store.peek(resourceOf("Namespace"), undefined, ns)) return;
    // Like the real recorder: the suffix is the creation time in hex nanoseconds, so names sort chronologically.
    const nanos = BigInt(this.clock.now()) * 1_000_000n + BigInt(++this.seq % 1_000_000);
    const name = `${obj.metadata.name}.${nanos.toString(16)}`;
    this.names.set(key, name);
    const ev: KubeEvent = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: obj.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: obj.apiVersion,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component, ...(host ? { host } : {}) },
      reportingComponent: component,
      reportingInstance: host ?? "",
    };
    this.store.create(res, ev);
  }
}
