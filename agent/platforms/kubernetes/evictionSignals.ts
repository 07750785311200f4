import type { Signal } from "../../../core/types.ts";
import { signal } from "../../signals.ts";
import type { WorkloadObservations } from "./signals.ts";

/** The kubelet's eviction message: the node ran short of a resource (its eviction manager, not an API eviction). */
const NODE_LOW = /The node was low on resource: ([\w.-]+)\.(?:\s*Threshold quantity: (\d+)([KMGT]i)?)?/;
/** The kubelet's admission refusal of a pod it never started: its node reports a pressure condition. */
const NODE_HAD = /The node had condition: \[([\w ]+)\]/;
const USING = /was using (\d+)([KMGT]i)?/g;
const UNIT: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
const bytes = (n: string, unit: string | undefined) => Number(n) * (UNIT[unit ?? ""] ?? 1);

/**
 * A pod the kubelet evicted because its node ran short of a resource, while the pod's own containers used a small
 * part of it (less than half the eviction threshold): the pod is a victim and the node is the cause. Pure.
 * - `evicted_for_node_pressure` (value: the node): names the resource and the pod's share. An API eviction (a
 *   drain), a preemption, or a pod whose own containers used most of it (it filled the disk itself) → nothing.
 *   A pod the kubelet refused at admission ("The node had condition: [DiskPressure]") never ran on that node, so
 *   it cannot have caused the pressure: the node is the cause too.
 */
export function evictionSignals(obs: WorkloadObservations): Signal[] {
  for (const e of obs.events) {
    if (e.reason !== "Evicted") continue;
    const refused = NODE_HAD.exec(e.message);
    if (refused) {
      const pod = obs.pods.find((p) => p.name === e.object.split("/")[1]);
      const node = pod?.node;
      if (!node) continue;
      return [
        signal(
          "evicted_for_node_pressure",
          node,
          `the kubelet of node ${node} refused ${pod!.name} before starting it: "${e.message.trim().slice(0, 200)}"; the pod never ran there, so node ${node} under ${refused[1]} is the cause, not this pod`,
        ),
      ];
    }
    const low = NODE_LOW.exec(e.message);
    if (!low) continue;
    const pod = obs.pods.find((p) => p.name === e.object.split("/")[1]);
    if (!pod?.node) continue;
    const used = [...e.message.matchAll(USING)].reduce((n, m) => n + bytes(m[1]!, m[2]), 0);
    const threshold = low[2] ? bytes(low[2], low[3]) : undefined;
    if (threshold !== undefined && used >= threshold / 2) continue;
    return [
      signal(
        "evicted_for_node_pressure",
        pod.node,
        `the kubelet evicted ${pod.name}: "${e.message.slice(0, 200)}"; its containers used a small part of it, so node ${pod.node} running short of ${low[1]} is the cause, not this pod`,
      ),
    ];
  }
  return [];
}
