import type { Signal } from "../../../core/types.ts";
import type { PodSnapshot } from "../../../tools/kubernetes/listPods.ts";
import { signal } from "../../signals.ts";
import type { WorkloadObservations } from "./signals.ts";

/** The deployment controller's event when it scales a ReplicaSet (Kubernetes ≥ 1.26 names the count it came from). */
const SCALED = /^Scaled (up|down) replica set (\S+) to (\d+)(?: from (\d+))?/;
/** A scale to zero older than this is a standing state (someone parked the workload), not a recent change. */
const RECENT_MS = 60 * 60_000;

interface ScaleEvent {
  direction: "up" | "down";
  replicaSet: string;
  to: number;
  from: number | undefined;
  at: number;
}

function scaleEvents(obs: WorkloadObservations): ScaleEvent[] {
  return obs.events
    .filter((e) => e.reason === "ScalingReplicaSet")
    .flatMap((e) => {
      const m = SCALED.exec(e.message);
      if (!m) return [];
      return [
        {
          direction: m[1] as "up" | "down",
          replicaSet: m[2]!,
          to: Number(m[3]),
          from: m[4] === undefined ? undefined : Number(m[4]),
          at: Date.parse(e.last ?? ""),
        },
      ];
    })
    .sort((a, b) => a.at - b.at);
}

/**
 * A Deployment whose desired replicas are 0. When the controller's events show its current ReplicaSet scaled down to
 * zero recently, the count it ran at before (the highest level of the scale-downs that led to zero) is the last
 * healthy count: `scaled_to_zero` carries it. Without that record the zero is a standing state someone chose, or its
 * history is gone: `replicas_zero` says so and nothing is guessed. Pure.
 */
export function scaledToZeroSignals(obs: WorkloadObservations, now: number): Signal[] {
  const r = obs.rollout;
  const current = r?.revisions[0];
  if (!r || !current || r.replicas !== 0) return [];
  const events = scaleEvents(obs).filter((e) => e.replicaSet === current.name);
  const lastZero = events.findLastIndex((e) => e.direction === "down" && e.to === 0);
  const zero = events[lastZero];
  if (zero && Number.isFinite(zero.at) && now - zero.at <= RECENT_MS) {
    // Walk back over the scale-downs that led to zero (3 → 2 → 0) to the level it ran at before.
    let before = zero.from ?? 0;
    for (let i = lastZero - 1; i >= 0 && events[i]!.direction === "down"; i--)
      before = Math.max(before, events[i]!.from ?? events[i]!.to);
    if (before >= 1) {
      const mins = Math.max(0, Math.round((now - zero.at) / 60_000));
      return [
        signal(
          "scaled_to_zero",
          before,
          `deployment ${r.namespace}/${r.name} was scaled to 0 replicas ${mins} min ago (event: ReplicaSet ${current.name} scaled down to 0 from ${before}); it ran ${before} replica(s) before, so nothing serves now`,
        ),
      ];
    }
  }
  return [
    signal(
      "replicas_zero",
      true,
      `deployment ${r.namespace}/${r.name} wants 0 replicas and no recent scale-down event records the count it ran at before: a zero someone chose (or whose history is gone) is not undone on a guess`,
    ),
  ];
}

/** Pods that fail to run (crash, OOM, config errors, never Ready after restarts). */
const failingPod = (p: PodSnapshot) =>
  p.containers.some(
    (c) =>
      [
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "ImagePullBackOff",
        "ErrImagePull",
      ].includes(c.waiting?.reason ?? "") ||
      c.lastTerminated?.reason === "OOMKilled" ||
      (c.restartCount > 0 && !p.ready),
  );

/**
 * A rollout (or a rollback, which is a rollout to an older template) still moving: the Deployment has replicas or
 * pods of other revisions left, or a spec change not yet observed, its Progressing condition has not given up, and none
 * of the newest revision's pods fail. A second action now would fight the one under way. Pure.
 */
export function rolloutInProgressSignals(obs: WorkloadObservations): Signal[] {
  const r = obs.rollout;
  const newest = r?.revisions[0];
  if (!r || !newest || r.replicas === 0) return [];
  const progressing = r.conditions.find((c) => c.type === "Progressing");
  if (progressing && (progressing.status !== "True" || progressing.reason === "ProgressDeadlineExceeded"))
    return [];
  const oldLeft = r.revisions.slice(1).reduce((n, rev) => n + rev.replicas, 0);
  // Replicas of older revisions still wanted or running, or a spec change the controller has not taken up yet.
  const oldPods = obs.pods.filter((p) => !p.deleting && p.templateHash !== newest.templateHash).length;
  const pending = r.observedGeneration < r.generation || oldLeft > 0 || oldPods > 0;
  if (!pending) return [];
  const onNewest = obs.pods.filter((p) => !p.deleting && p.templateHash === newest.templateHash);
  if (onNewest.some(failingPod)) return [];
  const rollback = newest.revisionHistory !== undefined && newest.revisionHistory.length > 0;
  const ready = onNewest.filter((p) => p.ready).length;
  return [
    signal(
      "rollout_in_progress",
      newest.revision,
      `${rollback ? "a rollback" : "a rollout"} to revision ${newest.revision} (${newest.images.join(", ")}) is under way: ${ready} of ${r.replicas} pod(s) of it Ready, ${oldLeft} pod(s) of older revisions left, none of its pods failing; a second action would fight it`,
    ),
  ];
}
