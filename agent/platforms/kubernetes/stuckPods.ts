import type { Signal } from "../../../core/types.ts";
import type { KubeEvent } from "../../../tools/kubernetes/objectEvents.ts";
import { signal } from "../../signals.ts";
import { clusterNow, type WorkloadObservations } from "./signals.ts";

/** A probe that got no answer in time: the process is alive but does not respond (hung), not refusing or erroring. */
const PROBE_TIMEOUT =
  /\b(readiness|liveness) probe failed\b.*\b(context deadline exceeded|timeout|timed out|awaiting headers)/i;

const objectName = (e: KubeEvent) => e.object.split("/")[1];

/**
 * Signals of pods a graceful delete cannot replace in time: one whose process hangs (running, never restarted by a
 * crash, unready because its probes time out) and one stuck Terminating past its grace period. Both values name the
 * pod, so the action is aimed at it. Pure.
 */
export function stuckPodSignals(obs: WorkloadObservations): Signal[] {
  const out: Signal[] = [];
  const now = clusterNow(obs);
  const failedKill = (pod: string) =>
    obs.events.find((e) => e.type === "Warning" && e.reason === "FailedKillPod" && objectName(e) === pod);
  const stuck = obs.pods.find(
    (p) =>
      p.deleting &&
      ((p.deletionDeadline !== undefined && Date.parse(p.deletionDeadline) < now) || failedKill(p.name)),
  );
  if (stuck) {
    const ev = failedKill(stuck.name);
    out.push(
      signal(
        "stuck_terminating",
        stuck.name,
        `pod ${stuck.name} is still Terminating after its grace period (ended ${stuck.deletionDeadline ?? "?"}): ` +
          (ev
            ? `the kubelet fails to kill it (${ev.count}× "${ev.message.slice(0, 100)}")`
            : "its process ignores the kill"),
      ),
    );
  }
  const timedOut = (pod: string) =>
    obs.events.filter((e) => e.type === "Warning" && objectName(e) === pod && PROBE_TIMEOUT.test(e.message));
  const hung = obs.pods.find(
    (p) =>
      !p.deleting &&
      !p.ready &&
      p.containers.length > 0 &&
      p.containers.every((c) => c.runningSince !== undefined && !c.waiting) &&
      timedOut(p.name).length > 0,
  );
  if (hung) {
    const ev = timedOut(hung.name).at(-1)!;
    out.push(
      signal(
        "health_timeout",
        hung.name,
        `pod ${hung.name} runs but its probes time out (${ev.count}× "${ev.message.slice(0, 120)}")`,
      ),
    );
  }
  return out;
}
