import { CronExpressionParser } from "cron-parser";
import { rfc3339 } from "../clock.ts";
import type { KubeObject } from "../types.ts";
import { clone } from "../types.ts";
import type { SimContext } from "./context.ts";
import { R, controllerOf, ownerRef } from "./context.ts";
import type { Job } from "./job.ts";
import { jobFinished } from "./job.ts";

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    suspend?: boolean;
    concurrencyPolicy?: "Allow" | "Forbid" | "Replace";
    startingDeadlineSeconds?: number;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    jobTemplate: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: Job["spec"];
    };
  };
  status?: {
    active?: { apiVersion: string; kind: string; namespace: string; name: string; uid: string }[];
    lastScheduleTime?: string;
    lastSuccessfulTime?: string;
  };
}

/** The real controller gives up (and says so) past 100 missed start times. */
const MAX_MISSED = 100;

/**
 * The CronJob controller (batch/v1): at each schedule time since the last one it creates a Job named
 * `<cronjob>-<minutes since the epoch>`, honouring `suspend`, `concurrencyPolicy`, `startingDeadlineSeconds`
 * and the history limits; it reports `SuccessfulCreate`, `SawCompletedJob`, `SuccessfulDelete` and
 * `JobAlreadyActive`, and keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`.
 */
export function reconcileCronJobs(ctx: SimContext): void {
  for (const o of ctx.store.view(R.cronjobs)) reconcileOne(ctx, o as CronJob);
}

/** The first schedule time after `after` (kube-state-metrics' kube_cronjob_next_schedule_time); undefined when bad. */
export function nextScheduleTime(cj: CronJob, after: number): number | undefined {
  try {
    return CronExpressionParser.parse(cj.spec.schedule, {
      currentDate: new Date(after),
      ...(cj.spec.timeZone ? { tz: cj.spec.timeZone } : {}),
    })
      .next()
      .getTime();
  } catch {
    return undefined;
  }
}

/** The latest schedule time in (after, now], and how many were missed; undefined for a bad schedule. */
function lastDue(
  cj: CronJob,
  after: number,
  now: number,
): { at?: number; missed: number } | { error: string } {
  try {
    const it = CronExpressionParser.parse(cj.spec.schedule, {
      currentDate: new Date(after),
      ...(cj.spec.timeZone ? { tz: cj.spec.timeZone } : {}),
    });
    let at: number | undefined;
    let missed = 0;
    for (;;) {
      const t = it.next().getTime();
      if (t > now) break;
      at = t;
      if (++missed > MAX_MISSED) break;
    }
    return { ...(at !== undefined ? { at } : {}), missed };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function reconcileOne(ctx: SimContext, cj: CronJob): void {
  const ns = cj.metadata.namespace!;
  const now = ctx.clock.now();
  const jobs = (ctx.store.view(R.jobs, ns) as readonly Job[]).filter(
    (j) => controllerOf(j)?.uid === cj.metadata.uid,
  );
  const status = { ...cj.status };
  const wasActive = new Set((status.active ?? []).map((a) => a.uid));
  // Jobs that finished since the last pass.
  for (const j of jobs) {
    const done = jobFinished(j);
    if (!done || !wasActive.has(j.metadata.uid!)) continue;
    ctx.events.record(
      cj,
      "Normal",
      "SawCompletedJob",
      `Saw completed job: ${j.metadata.name}, condition: ${done}`,
      "cronjob-controller",
    );
    if (done === "Complete" && j.status?.completionTime) status.lastSuccessfulTime = j.status.completionTime;
  }
  let active = jobs.filter((j) => !jobFinished(j));

  if (!cj.spec.suspend) {
    const after = Date.parse(status.lastScheduleTime ?? String(cj.metadata.creationTimestamp));
    const due = lastDue(cj, after, now);
    if ("error" in due) {
      reportOnce(
        ctx,
        cj,
        "UnparseableSchedule",
        `unparseable schedule: "${cj.spec.schedule}" : ${due.error}`,
      );
    } else if (due.at !== undefined) {
      if (due.missed > MAX_MISSED)
        reportOnce(
          ctx,
          cj,
          "TooManyMissedTimes",
          "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
        );
      const late =
        cj.spec.startingDeadlineSeconds !== undefined &&
        now - due.at > cj.spec.startingDeadlineSeconds * 1000;
      const policy = cj.spec.concurrencyPolicy ?? "Allow";
      if (late) {
        status.lastScheduleTime = rfc3339(due.at);
      } else if (policy === "Forbid" && active.length > 0) {
        reportOnce(
          ctx,
          cj,
          "JobAlreadyActive",
          "Not starting job because prior execution is running and concurrency policy is Forbid",
          "Normal",
        );
      } else {
        if (policy === "Replace") {
          for (const j of active) deleteJob(ctx, cj, j);
          active = [];
        }
        const name = `${cj.metadata.name}-${Math.floor(due.at / 60_000)}`;
        if (!ctx.store.peek(R.jobs, ns, name)) {
          const tmpl = clone(cj.spec.jobTemplate);
          const job = ctx.store.create(R.jobs, {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: {
              name,
              namespace: ns,
              labels: tmpl.metadata?.labels,
              annotations: {
                ...tmpl.metadata?.annotations,
                "batch.kubernetes.io/cronjob-scheduled-timestamp": rfc3339(due.at),
              },
              ownerReferences: [ownerRef(cj)],
            },
            spec: tmpl.spec,
          }) as Job;
          active.push(job);
          ctx.events.record(cj, "Normal", "SuccessfulCreate", `Created job ${name}`, "cronjob-controller");
        }
        status.lastScheduleTime = rfc3339(due.at);
      }
    }
  }

  // History limits: the oldest finished Jobs beyond them go.
  const prune = (kind: "Complete" | "Failed", limit: number) => {
    const done = jobs
      .filter((j) => jobFinished(j) === kind && ctx.store.peek(R.jobs, ns, j.metadata.name))
      .sort((a, b) =>
        String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)),
      );
    for (const j of done.slice(0, Math.max(0, done.length - limit))) deleteJob(ctx, cj, j);
  };
  prune("Complete", cj.spec.successfulJobsHistoryLimit ?? 3);
  prune("Failed", cj.spec.failedJobsHistoryLimit ?? 1);

  const next: CronJob["status"] = {
    ...(active.length
      ? {
          active: active.map((j) => ({
            apiVersion: "batch/v1",
            kind: "Job",
            namespace: ns,
            name: j.metadata.name,
            uid: j.metadata.uid!,
          })),
        }
      : {}),
    ...(status.lastScheduleTime ? { lastScheduleTime: status.lastScheduleTime } : {}),
    ...(status.lastSuccessfulTime ? { lastSuccessfulTime: status.lastSuccessfulTime } : {}),
  };
  if (JSON.stringify(next) !== JSON.stringify(cj.status ?? {}))
    ctx.store.update(
      R.cronjobs,
      { ...cj, status: next, metadata: { ...cj.metadata, resourceVersion: undefined } },
      "status",
    );
}

/** Deletes one of the CronJob's Jobs and reports it as the controller does. */
function deleteJob(ctx: SimContext, cj: CronJob, job: Job): void {
  ctx.store.delete(R.jobs, cj.metadata.namespace!, job.metadata.name);
  ctx.events.record(
    cj,
    "Normal",
    "SuccessfulDelete",
    `Deleted job ${job.metadata.name}`,
    "cronjob-controller",
  );
}

function reportOnce(
  ctx: SimContext,
  cj: CronJob,
  reason: string,
  message: string,
  type: "Normal" | "Warning" = "Warning",
): void {
  const key = `${reason}/${cj.metadata.uid}`;
  const now = ctx.clock.now();
  if (now - (ctx.world.reported.get(key) ?? -Infinity) < 60_000) return;
  ctx.world.reported.set(key, now);
  ctx.events.record(cj, type, reason, message, "cronjob-controller");
}
