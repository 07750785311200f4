import { rfc3339 } from "../clock.ts";
import { randomSuffix } from "../store.ts";
import type { Condition, KubeObject, LabelSelector, Pod, PodTemplate } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, isPodReady, ownerRef, save } from "./context.ts";
import { admitPriority } from "./priority.ts";
import { admitServiceAccount } from "./workloadRbac.ts";
import { quotaRefusal } from "./quota.ts";

export interface Job extends KubeObject {
  spec: {
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    suspend?: boolean;
    selector?: LabelSelector;
    manualSelector?: boolean;
    template: PodTemplate;
  };
  status?: {
    active?: number;
    ready?: number;
    succeeded?: number;
    failed?: number;
    terminating?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Condition[];
    uncountedTerminatedPods?: Record<string, never>;
  };
}

/** The job controller's pod back-off after a failure: 10 s doubling, at most 6 minutes. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

/** The labels the API server puts on a Job's pods and selector (the controller uid and the job name). */
export function jobLabels(job: KubeObject): Record<string, string> {
  const uid = job.metadata.uid!;
  return {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": job.metadata.name,
    "controller-uid": uid,
    "job-name": job.metadata.name,
  };
}

/** True once a Job has its `Complete` or `Failed` condition. */
export function jobFinished(j: Job): "Complete" | "Failed" | undefined {
  const c = j.status?.conditions?.find(
    (x) => (x.type === "Complete" || x.type === "Failed") && x.status === "True",
  );
  return c?.type as "Complete" | "Failed" | undefined;
}

/**
 * The Job controller (batch/v1): runs `parallelism` pods at a time until `completions` succeeded; a failed pod
 * (restartPolicy Never) or a container restart (OnFailure) counts toward `backoffLimit`, with the controller's
 * back-off before the next pod; past the limit or `activeDeadlineSeconds` the Job fails with the real
 * conditions (`FailureTarget`, then `Failed`) and events, and its running pods are deleted.
 */
export function reconcileJobs(ctx: SimContext): void {
  for (const o of ctx.store.view(R.jobs)) reconcileOne(ctx, o as Job);
}

function reconcileOne(ctx: SimContext, job: Job): void {
  if (!job.spec.selector) {
    // What the API server defaults on create: a selector on the controller uid, the same labels on the template.
    const labels = jobLabels(job);
    const template = clone(job.spec.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } };
    job = save(ctx, R.jobs, {
      ...job,
      metadata: { ...job.metadata, labels: { ...labels, ...job.metadata.labels } },
      spec: {
        ...job.spec,
        selector: { matchLabels: { "batch.kubernetes.io/controller-uid": job.metadata.uid! } },
        template,
      },
    });
  }
  const ns = job.metadata.namespace!;
  const now = ctx.clock.now();
  const pods = (ctx.store.view(R.pods, ns) as readonly Pod[]).filter(
    (p) => controllerOf(p)?.uid === job.metadata.uid,
  );
  const active = pods.filter(
    (p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed" && !p.metadata.deletionTimestamp,
  );
  const succeeded = pods.filter((p) => p.status?.phase === "Succeeded").length;
  const failedPods = pods.filter((p) => p.status?.phase === "Failed");
  // OnFailure: the kubelet restarts the container in place; each restart counts as a failure.
  const restarts = active.reduce(
    (n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + c.restartCount, 0),
    0,
  );
  const failed = failedPods.length + restarts;
  const completions = job.spec.completions ?? 1;
  const parallelism = job.spec.parallelism ?? 1;
  const backoffLimit = job.spec.backoffLimit ?? 6;
  const status = { ...job.status };
  const startTime = status.startTime ?? (job.spec.suspend ? undefined : rfc3339(now));
  let conditions = status.conditions ?? [];
  const finished = jobFinished(job);

  if (!finished && !job.spec.suspend) {
    let failure: { reason: string; message: string } | undefined;
    if (failed > backoffLimit)
      failure = { reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" };
    else if (
      job.spec.activeDeadlineSeconds !== undefined &&
      startTime &&
      now - Date.parse(startTime) >= job.spec.activeDeadlineSeconds * 1000
    )
      failure = { reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" };
    if (failure) {
      for (const p of active) {
        ctx.store.delete(R.pods, ns, p.metadata.name);
        ctx.logs.forget(p.metadata.uid!);
        ctx.events.record(
          job,
          "Normal",
          "SuccessfulDelete",
          `Deleted pod: ${p.metadata.name}`,
          "job-controller",
        );
      }
      ctx.events.record(job, "Warning", failure.reason, failure.message, "job-controller");
      const t = rfc3339(now);
      conditions = [
        ...conditions,
        { type: "FailureTarget", status: "True", ...failure, lastProbeTime: t, lastTransitionTime: t },
        { type: "Failed", status: "True", ...failure, lastProbeTime: t, lastTransitionTime: t },
      ];
      active.length = 0;
    } else if (succeeded >= completions) {
      const t = rfc3339(now);
      conditions = [
        ...conditions,
        {
          type: "SuccessCriteriaMet",
          status: "True",
          reason: "CompletionsReached",
          message: "Reached expected number of succeeded pods",
          lastProbeTime: t,
          lastTransitionTime: t,
        },
        {
          type: "Complete",
          status: "True",
          reason: "CompletionsReached",
          message: "Reached expected number of succeeded pods",
          lastProbeTime: t,
          lastTransitionTime: t,
        },
      ];
      status.completionTime = t;
      ctx.events.record(job, "Normal", "Completed", "Job completed", "job-controller");
    } else {
      const want = Math.min(parallelism, completions - succeeded);
      const lastFailure = Math.max(
        0,
        ...failedPods.map((p) =>
          Date.parse(
            p.status?.containerStatuses?.[0]?.state.terminated?.finishedAt ??
              String(p.metadata.creationTimestamp),
          ),
        ),
      );
      const backoff =
        failedPods.length === 0
          ? 0
          : Math.min(BACKOFF_BASE_MS * 2 ** (failedPods.length - 1), BACKOFF_MAX_MS);
      if (active.length < want && now >= lastFailure + backoff) {
        for (let i = active.length; i < want; i++) {
          const pod = createPod(ctx, job);
          if (!pod) break;
          active.push(pod);
        }
      }
    }
  }

  const next: Job["status"] = {
    ...(conditions.length ? { conditions } : {}),
    ...(startTime ? { startTime } : {}),
    ...(status.completionTime ? { completionTime: status.completionTime } : {}),
    ...(active.length ? { active: active.length } : {}),
    ...(succeeded ? { succeeded } : {}),
    ...(failed ? { failed } : {}),
    ready: active.filter(isPodReady).length,
    terminating: 0,
    uncountedTerminatedPods: {},
  };
  if (JSON.stringify(next) !== JSON.stringify(job.status))
    ctx.store.update(
      R.jobs,
      { ...job, status: next, metadata: { ...job.metadata, resourceVersion: undefined } },
      "status",
    );
}

function createPod(ctx: SimContext, job: Job): Pod | undefined {
  const t = clone(job.spec.template);
  const draft = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${job.metadata.name}-${randomSuffix(5)}`,
      namespace: job.metadata.namespace,
      labels: { ...t.metadata?.labels, ...jobLabels(job) },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [ownerRef(job)],
    },
    spec: t.spec,
    status: { phase: "Pending", qosClass: "BestEffort" },
  } as Pod;
  const refused = admitServiceAccount(ctx, draft) ?? admitPriority(ctx, draft) ?? quotaRefusal(ctx, draft);
  if (refused) {
    const key = `FailedCreate/${job.metadata.uid}`;
    const now = ctx.clock.now();
    if (now - (ctx.world.reported.get(key) ?? -Infinity) >= 10_000) {
      ctx.world.reported.set(key, now);
      ctx.events.record(job, "Warning", "FailedCreate", `Error creating: ${refused}`, "job-controller");
    }
    return undefined;
  }
  const pod = ctx.store.create(R.pods, draft) as Pod;
  ctx.events.record(job, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`, "job-controller");
  return pod;
}
